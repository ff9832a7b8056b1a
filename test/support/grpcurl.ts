// A stand-in for grpcurl (github.com/fullstorydev/grpcurl), for machines where grpcurl cannot be
// installed: the subset of its command line the README uses, learning the API from server
// reflection only, through StrictReflectionClient (which is as strict as grpcurl about imports).
//
//   node --import tsx test/support/grpcurl.ts -plaintext [-d '<json>' | -d @] [-max-time S] [-H 'k: v'] \
//     host:port (list [service] | describe [symbol] | pkg.Service/Method)
//
// test/support/bin/grpcurl wraps it so that `grpcurl` on PATH resolves to it from any directory.
//
// Output follows grpcurl: `list` prints names one per line, sorted; `describe` prints
// "<name> is a message:" and a proto rendering in the style of grpcurl's printer (protoprint with
// Compact, SortElements, ForceFullyQualifiedNames, doc comments only); an invocation prints the
// response as protojson (lowerCamelCase keys, defaults omitted, enums by name, 64-bit integers as
// strings) indented by two spaces. An RPC error prints "ERROR:\n  Code: ...\n  Message: ..." (and
// the google.rpc.Status details) on stderr and exits 64 + the status code, as grpcurl does. Bad
// usage exits 2; any other failure (unreachable server, unknown symbol, bad request JSON) exits 1.
//
// Not supported: TLS (-plaintext is required), streaming methods, -format text, -protoset/-proto.

import { pathToFileURL } from "node:url";
import * as grpc from "@grpc/grpc-js";
import {
  create,
  createFileRegistry,
  fromBinary,
  fromJson,
  isFieldSet,
  toJson,
  type DescMessage,
  type DescMethod,
  type FileRegistry,
  type JsonValue,
  type Registry,
} from "@bufbuild/protobuf";
import {
  AnySchema,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FieldDescriptorProtoSchema,
  FieldOptionsSchema,
  FileDescriptorProtoSchema,
  file_google_protobuf_any,
  file_google_protobuf_duration,
  type Any,
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  type FileDescriptorProto,
  type MethodDescriptorProto,
  type OneofDescriptorProto,
  type ServiceDescriptorProto,
} from "@bufbuild/protobuf/wkt";
import { ReflectionResponseError, StrictReflectionClient, type DescribedElement } from "./strict-reflection-client.js";

/** grpcurl exits with this plus the gRPC status code when the RPC fails. */
export const statusCodeOffset = 64;

/** Where the program writes; a real process by default, a buffer in tests. */
export interface GrpcurlIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of stdin, for `-d @`. */
  readStdin(): Promise<string>;
}

/** A failure that ends the program with an exit code and a message on stderr. */
class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const usageText = `Usage:
\tgrpcurl -plaintext [flags] address (list [service] | describe [symbol] | method)

A grpcurl stand-in that reads the API from server reflection only. The method is a
fully-qualified name in 'pkg.Service/Method' or 'pkg.Service.Method' form; the request body
is given with -d (JSON; '@' reads it from stdin), an empty request when -d is absent.

Flags:
  -plaintext         Use plain-text HTTP/2 (required: TLS is not supported).
  -d string          Data for the request contents, as JSON. '@' reads it from stdin.
  -max-time float    The maximum total time the operation can take, in seconds.
  -H 'name: value'   Additional header; may be repeated.
  -help              Print this text and exit.
`;

function usageError(message: string): Exit {
  return new Exit(2, `${message}\nTry 'grpcurl -help' for more details.\n`);
}

interface Options {
  plaintext: boolean;
  data: string | undefined;
  maxTimeSeconds: number;
  headers: string[];
  help: boolean;
}

type Command =
  | { verb: "list"; target: string; symbol: string | undefined }
  | { verb: "describe"; target: string; symbol: string | undefined }
  | { verb: "invoke"; target: string; symbol: string };

/** Go `flag` package semantics, as grpcurl has: flags come first and parsing stops at the first non-flag. */
function parseFlags(argv: readonly string[]): { options: Options; rest: string[] } {
  const options: Options = { plaintext: false, data: undefined, maxTimeSeconds: 0, headers: [], help: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    const value = (): string => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw usageError(`flag needs an argument: -${name}`);
      return argv[++i]!;
    };
    const bool = (): boolean => {
      if (inline === undefined) return true;
      if (/^(1|t|true|TRUE|True)$/.test(inline)) return true;
      if (/^(0|f|false|FALSE|False)$/.test(inline)) return false;
      throw usageError(`invalid boolean value "${inline}" for -${name}`);
    };
    switch (name) {
      case "plaintext":
        options.plaintext = bool();
        break;
      case "help":
      case "h":
        options.help = bool();
        break;
      case "d":
        options.data = value();
        break;
      case "H":
        options.headers.push(value());
        break;
      case "max-time": {
        const raw = value();
        const seconds = Number(raw);
        if (raw.trim() === "" || !Number.isFinite(seconds)) throw usageError(`invalid value "${raw}" for flag -max-time`);
        if (seconds < 0) throw usageError("The -max-time argument must not be negative.");
        options.maxTimeSeconds = seconds;
        break;
      }
      default:
        throw usageError(`flag provided but not defined: -${name}`);
    }
  }
  return { options, rest: argv.slice(i) };
}

/** grpcurl's positional grammar: [address] (list|describe) [symbol], or address method. */
function parseCommand(args: string[]): Command {
  if (args.length === 0) throw usageError("Too few arguments.");
  let target = "";
  if (args[0] !== "list" && args[0] !== "describe") {
    target = args.shift()!;
  }
  if (args.length === 0) throw usageError("Too few arguments.");
  const verb = args[0] === "list" || args[0] === "describe" ? args.shift()! : "invoke";
  const symbol = args.shift();
  if (args.length > 0) throw usageError("Too many arguments.");
  if (!target) throw usageError("No host:port specified.");
  if (verb === "invoke") return { verb, target, symbol: symbol! };
  return { verb: verb as "list" | "describe", target, symbol };
}

/** Runs grpcurl with `argv` (without the program name); resolves to the exit code. */
export async function runGrpcurl(argv: readonly string[], io: GrpcurlIo): Promise<number> {
  let client: StrictReflectionClient | undefined;
  try {
    const { options, rest } = parseFlags(argv);
    if (options.help) {
      io.stderr(usageText);
      return 0;
    }
    const command = parseCommand(rest);
    if (!options.plaintext) {
      throw usageError("This grpcurl stand-in supports only plain-text connections: add -plaintext (TLS is not implemented).");
    }
    if (command.verb !== "invoke" && options.data !== undefined && options.data !== "") {
      io.stderr("Warning: The -d argument is not used with 'list' or 'describe' verb.\n");
    }
    const deadline = options.maxTimeSeconds > 0 ? Date.now() + options.maxTimeSeconds * 1000 : undefined;
    client = new StrictReflectionClient(command.target);
    const session = new Session(client, command.target, deadline, io);
    switch (command.verb) {
      case "list":
        return await session.list(command.symbol);
      case "describe":
        return await session.describe(command.symbol);
      case "invoke":
        return await session.invoke(command.symbol, options);
    }
    return 2;
  } catch (error) {
    if (error instanceof Exit) {
      io.stderr(error.message.endsWith("\n") ? error.message : `${error.message}\n`);
      return error.code;
    }
    io.stderr(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  } finally {
    client?.close();
  }
}

class Session {
  constructor(
    private readonly client: StrictReflectionClient,
    private readonly target: string,
    private readonly deadline: number | undefined,
    private readonly io: GrpcurlIo,
  ) {}

  async list(service: string | undefined): Promise<number> {
    if (service === undefined) {
      const services = await this.reflect(() => this.client.listServices(), "Failed to list services");
      this.io.stdout(services.length === 0 ? "(No services)\n" : services.map((s) => `${s}\n`).join(""));
      return 0;
    }
    const name = service.replace(/^\./, "");
    const failure = `Failed to list methods for service "${service}"`;
    const element = await this.reflect(() => this.client.describe(name), failure, `Service not found: ${name}`);
    if (element.kind !== "service") throw new Exit(1, `${failure}: Service not found: ${name}`);
    const methods = element.methods.map((m) => `${element.typeName}.${m.name}`).sort();
    this.io.stdout(methods.length === 0 ? "(No methods)\n" : methods.map((m) => `${m}\n`).join(""));
    return 0;
  }

  async describe(symbol: string | undefined): Promise<number> {
    const symbols = symbol === undefined ? await this.reflect(() => this.client.listServices(), "Failed to list services") : [symbol];
    if (symbols.length === 0) this.io.stdout("Server returned an empty list of exposed services\n");
    for (const raw of symbols) {
      const name = raw.replace(/^\./, "");
      let element = await this.reflect(() => this.client.describe(name), `Failed to resolve symbol "${name}"`, `Symbol not found: ${name}`);
      let what = kindPhrase(element);
      if (element.kind === "message" && element.proto.options?.mapEntry && element.parent) {
        const entryName = `.${element.typeName}`;
        const field = element.parent.fields.find((f) => f.fieldKind === "map" && f.proto.typeName === entryName);
        if (field) {
          element = field;
          what = "the entry type for a map field";
        }
      }
      this.io.stdout(`${fullNameOf(element)} is ${what}:\n${renderElement(element)}\n`);
    }
    return 0;
  }

  async invoke(symbol: string, options: Options): Promise<number> {
    const failure = `Error invoking method "${symbol}"`;
    const { service, method: methodName } = splitMethod(symbol);
    if (!service) throw new Exit(1, `${failure}: given method name "${symbol}" is not in expected format: 'service/method' or 'service.method'`);
    const element = await this.reflect(
      () => this.client.describe(service),
      failure,
      `target server does not expose service "${service}"`,
    );
    if (element.kind !== "service") throw new Exit(1, `${failure}: target server does not expose service "${service}"`);
    const method = element.methods.find((m) => m.name === methodName);
    if (!method) throw new Exit(1, `${failure}: service "${service}" does not include a method named "${methodName}"`);
    if (method.methodKind !== "unary") throw new Exit(1, `${failure}: ${method.methodKind} methods are not supported by this grpcurl stand-in`);
    const registry = await this.reflect(() => this.client.registryFor(service), failure);

    const text = options.data === "@" ? await this.io.readStdin() : (options.data ?? "");
    const request = parseRequest(text, method, registry, failure);
    const metadata = headersToMetadata(options.headers);
    const timeoutMs = this.deadline === undefined ? undefined : Math.max(1, this.deadline - Date.now());
    let response: JsonValue;
    try {
      response = await this.client.invoke(`${service}/${methodName}`, request as object, { metadata, timeoutMs });
    } catch (error) {
      if (isServiceError(error)) {
        this.io.stderr(await this.formatStatus(error));
        return statusCodeOffset + error.code;
      }
      throw new Exit(1, `${failure}: ${messageOf(error)}`);
    }
    this.io.stdout(`${JSON.stringify(response, null, 2)}\n`);
    return 0;
  }

  /** grpcurl's PrintStatus: code, message, and each google.rpc.Status detail as indented JSON. */
  private async formatStatus(error: grpc.ServiceError): Promise<string> {
    let out = `ERROR:\n  Code: ${codeName(error.code)}\n  Message: ${error.details}\n`;
    const bin = error.metadata?.get("grpc-status-details-bin")[0];
    if (bin === undefined || typeof bin === "string") return out;
    let details: Any[];
    try {
      details = (fromBinary(StatusSchema, bin) as unknown as { details: Any[] }).details;
    } catch {
      return out;
    }
    if (details.length === 0) return out;
    out += "  Details:\n";
    for (const [index, detail] of details.entries()) {
      const prefix = `  ${index + 1})`;
      const continuation = `${" ".repeat(prefix.length)}\t`;
      const lines = (await this.formatAny(detail)).split("\n");
      out += `${prefix}\t${lines[0]}\n`;
      for (const line of lines.slice(1)) out += `${continuation}${line}\n`;
    }
    return out;
  }

  /** Resolves the Any's type by reflection first, then the google.rpc types grpcurl knows, like its AnyResolver. */
  private async formatAny(any: Any): Promise<string> {
    const typeName = any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
    const registries: Registry[] = [];
    try {
      registries.push(await this.withDeadline(this.client.registryFor(typeName)));
    } catch {
      // not served by reflection
    }
    registries.push(errorDetailsRegistry());
    for (const registry of registries) {
      if (!registry.getMessage(typeName)) continue;
      try {
        // "@type" first, as Go's protojson writes it.
        const { "@type": _typeUrl, ...fields } = toJson(AnySchema, any, { registry }) as Record<string, JsonValue>;
        return JSON.stringify({ "@type": any.typeUrl, ...fields }, null, 2);
      } catch {
        // try the next source
      }
    }
    return JSON.stringify(
      {
        "@type": any.typeUrl,
        "@error": `${typeName} is not recognized; see @value for raw binary message data`,
        "@value": Buffer.from(any.value).toString("base64"),
      },
      null,
      2,
    );
  }

  /** A reflection step: failures end the program with exit 1 and grpcurl's wording. */
  private async reflect<T>(step: () => Promise<T>, failure: string, notFound?: string): Promise<T> {
    try {
      return await this.withDeadline(step());
    } catch (error) {
      if (error instanceof Exit) throw error;
      if (notFound && isNotFound(error)) throw new Exit(1, `${failure}: ${notFound}`);
      if (isServiceError(error) && error.code === grpc.status.UNAVAILABLE) {
        throw new Exit(1, `Failed to dial target host "${this.target}": ${error.details}`);
      }
      throw new Exit(1, `${failure}: ${messageOf(error)}`);
    }
  }

  private withDeadline<T>(promise: Promise<T>): Promise<T> {
    if (this.deadline === undefined) return promise;
    const remaining = this.deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("context deadline exceeded")), Math.max(0, remaining));
    });
    return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
  }
}

function parseRequest(text: string, method: DescMethod, registry: FileRegistry, failure: string): JsonValue {
  if (text.trim() === "") return {};
  let json: JsonValue;
  try {
    json = JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new Exit(1, `${failure}: error getting request data: ${messageOf(error)}`);
  }
  try {
    fromJson(method.input, json, { registry });
  } catch (error) {
    throw new Exit(1, `${failure}: error getting request data: ${messageOf(error)}`);
  }
  return json;
}

function headersToMetadata(headers: readonly string[]): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const header of headers) {
    const colon = header.indexOf(":");
    if (colon <= 0) throw usageError(`invalid header "${header}": expected 'name: value'`);
    metadata.add(header.slice(0, colon).trim().toLowerCase(), header.slice(colon + 1).trim());
  }
  return metadata;
}

/** grpcurl's parseSymbol: `pkg.Service/Method` or `pkg.Service.Method`, a leading slash allowed. */
function splitMethod(symbol: string): { service: string; method: string } {
  const name = symbol.replace(/^\//, "").replace(/^\./, "");
  const at = name.includes("/") ? name.lastIndexOf("/") : name.lastIndexOf(".");
  if (at <= 0) return { service: "", method: "" };
  return { service: name.slice(0, at), method: name.slice(at + 1) };
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === "number" && "details" in error && "metadata" in error;
}

function isNotFound(error: unknown): boolean {
  if (error instanceof ReflectionResponseError) return error.code === grpc.status.NOT_FOUND;
  return error instanceof Error && /not found/i.test(error.message);
}

function messageOf(error: unknown): string {
  if (isServiceError(error)) return `rpc error: code = ${codeName(error.code)} desc = ${error.details}`;
  return error instanceof Error ? error.message : String(error);
}

/** Go's codes.Code String(), which grpcurl prints. */
const codeNames = [
  "OK",
  "Canceled",
  "Unknown",
  "InvalidArgument",
  "DeadlineExceeded",
  "NotFound",
  "AlreadyExists",
  "PermissionDenied",
  "ResourceExhausted",
  "FailedPrecondition",
  "Aborted",
  "OutOfRange",
  "Unimplemented",
  "Internal",
  "Unavailable",
  "DataLoss",
  "Unauthenticated",
];

export function codeName(code: number): string {
  return codeNames[code] ?? `Code(${code})`;
}

// --- google.rpc.Status and error details, compiled in (as grpcurl has them linked in) ---

const str = (name: string, number: number, label = Label.OPTIONAL) => ({ name, number, label, type: Type.STRING, jsonName: jsonNameOf(name) });
const msg = (name: string, number: number, typeName: string, label = Label.OPTIONAL) => ({
  name,
  number,
  label,
  type: Type.MESSAGE,
  typeName,
  jsonName: jsonNameOf(name),
});

const statusFile = create(FileDescriptorProtoSchema, {
  name: "google/rpc/status.proto",
  package: "google.rpc",
  syntax: "proto3",
  dependency: ["google/protobuf/any.proto"],
  messageType: [
    {
      name: "Status",
      field: [
        { name: "code", number: 1, label: Label.OPTIONAL, type: Type.INT32, jsonName: "code" },
        str("message", 2),
        msg("details", 3, ".google.protobuf.Any", Label.REPEATED),
      ],
    },
  ],
});

const errorDetailsFile = create(FileDescriptorProtoSchema, {
  name: "google/rpc/error_details.proto",
  package: "google.rpc",
  syntax: "proto3",
  dependency: ["google/protobuf/duration.proto"],
  messageType: [
    {
      name: "ErrorInfo",
      field: [str("reason", 1), str("domain", 2), msg("metadata", 3, ".google.rpc.ErrorInfo.MetadataEntry", Label.REPEATED)],
      nestedType: [{ name: "MetadataEntry", field: [str("key", 1), str("value", 2)], options: { mapEntry: true } }],
    },
    { name: "RetryInfo", field: [msg("retry_delay", 1, ".google.protobuf.Duration")] },
    { name: "DebugInfo", field: [str("stack_entries", 1, Label.REPEATED), str("detail", 2)] },
    {
      name: "QuotaFailure",
      field: [msg("violations", 1, ".google.rpc.QuotaFailure.Violation", Label.REPEATED)],
      nestedType: [{ name: "Violation", field: [str("subject", 1), str("description", 2)] }],
    },
    {
      name: "PreconditionFailure",
      field: [msg("violations", 1, ".google.rpc.PreconditionFailure.Violation", Label.REPEATED)],
      nestedType: [{ name: "Violation", field: [str("type", 1), str("subject", 2), str("description", 3)] }],
    },
    {
      name: "BadRequest",
      field: [msg("field_violations", 1, ".google.rpc.BadRequest.FieldViolation", Label.REPEATED)],
      nestedType: [
        {
          name: "FieldViolation",
          field: [str("field", 1), str("description", 2), str("reason", 3), msg("localized_message", 4, ".google.rpc.LocalizedMessage")],
        },
      ],
    },
    { name: "RequestInfo", field: [str("request_id", 1), str("serving_data", 2)] },
    { name: "ResourceInfo", field: [str("resource_type", 1), str("resource_name", 2), str("owner", 3), str("description", 4)] },
    {
      name: "Help",
      field: [msg("links", 1, ".google.rpc.Help.Link", Label.REPEATED)],
      nestedType: [{ name: "Link", field: [str("description", 1), str("url", 2)] }],
    },
    { name: "LocalizedMessage", field: [str("locale", 1), str("message", 2)] },
  ],
});

let compiledRegistry: FileRegistry | undefined;
function errorDetailsRegistry(): FileRegistry {
  compiledRegistry ??= createFileRegistry(
    createFileRegistry(statusFile, (name) => (name === "google/protobuf/any.proto" ? file_google_protobuf_any : undefined)),
    createFileRegistry(errorDetailsFile, (name) => (name === "google/protobuf/duration.proto" ? file_google_protobuf_duration : undefined)),
  );
  return compiledRegistry;
}

const StatusSchema: DescMessage = (() => {
  const schema = errorDetailsRegistry().getMessage("google.rpc.Status");
  if (!schema) throw new Error("google.rpc.Status missing from the compiled-in registry");
  return schema;
})();

// --- describe: a proto rendering like grpcurl's (protoprint: Compact, SortElements,
// ForceFullyQualifiedNames, OmitComments: CommentsNonDoc) ---

function kindPhrase(element: DescribedElement): string {
  switch (element.kind) {
    case "message":
      return "a message";
    case "enum":
      return "an enum";
    case "service":
      return "a service";
    case "rpc":
      return "a method";
    case "field":
      return "a field";
    case "oneof":
      return "a one-of";
    case "enum_value":
      return "an enum value";
    case "extension":
      return "an extension";
  }
}

function fullNameOf(element: DescribedElement): string {
  switch (element.kind) {
    case "message":
    case "enum":
    case "service":
    case "extension":
      return element.typeName;
    case "rpc":
    case "field":
    case "oneof":
    case "enum_value":
      return `${fullNameOf(element.parent)}.${element.name}`;
  }
}

/** The element's file and its source_code_info path (descriptor.proto, SourceCodeInfo.Location.path). */
function locate(element: DescribedElement): { file: FileDescriptorProto; path: number[] } {
  const index = <T extends { name: string }>(list: readonly T[], name: string): number => {
    const i = list.findIndex((item) => item.name === name);
    if (i < 0) throw new Error(`descriptor element ${name} not found in its parent`);
    return i;
  };
  switch (element.kind) {
    case "message":
      if (element.parent) {
        const p = locate(element.parent);
        return { file: p.file, path: [...p.path, 3, index(element.parent.proto.nestedType, element.proto.name)] };
      }
      return { file: element.file.proto, path: [4, index(element.file.proto.messageType, element.proto.name)] };
    case "enum":
      if (element.parent) {
        const p = locate(element.parent);
        return { file: p.file, path: [...p.path, 4, index(element.parent.proto.enumType, element.proto.name)] };
      }
      return { file: element.file.proto, path: [5, index(element.file.proto.enumType, element.proto.name)] };
    case "extension":
      if (element.parent) {
        const p = locate(element.parent);
        return { file: p.file, path: [...p.path, 6, index(element.parent.proto.extension, element.proto.name)] };
      }
      return { file: element.file.proto, path: [7, index(element.file.proto.extension, element.proto.name)] };
    case "service":
      return { file: element.file.proto, path: [6, index(element.file.proto.service, element.proto.name)] };
    case "field": {
      const p = locate(element.parent);
      return { file: p.file, path: [...p.path, 2, index(element.parent.proto.field, element.proto.name)] };
    }
    case "oneof": {
      const p = locate(element.parent);
      return { file: p.file, path: [...p.path, 8, index(element.parent.proto.oneofDecl, element.proto.name)] };
    }
    case "rpc": {
      const p = locate(element.parent);
      return { file: p.file, path: [...p.path, 2, index(element.parent.proto.method, element.proto.name)] };
    }
    case "enum_value": {
      const p = locate(element.parent);
      return { file: p.file, path: [...p.path, 2, index(element.parent.proto.value, element.proto.name)] };
    }
  }
}

/** Renders one element as protoprint would print it on its own (no trailing newline). */
export function renderElement(element: DescribedElement): string {
  const { file, path } = locate(element);
  const p = new Printer(file);
  switch (element.kind) {
    case "message":
      p.message(element.proto, path, 0);
      break;
    case "enum":
      p.enumType(element.proto, path, 0);
      break;
    case "service":
      p.service(element.proto, path, 0);
      break;
    case "rpc":
      p.method(element.proto, path, 0);
      break;
    case "field":
      p.field(element.proto, element.parent.proto, path, 0, element.oneof !== undefined);
      break;
    case "oneof": {
      const parent = element.parent.proto;
      const oneofIndex = parent.oneofDecl.indexOf(element.proto);
      p.oneof(element.proto, oneofIndex, parent, path.slice(0, -2), path, 0);
      break;
    }
    case "enum_value":
      p.comments(path, 0);
      p.line(0, `${element.proto.name} = ${element.proto.number}${bracketOptions(element.proto.options?.deprecated ? ["deprecated = true"] : [])};`);
      break;
    case "extension":
      p.line(0, `extend ${element.proto.extendee} {`);
      p.field(element.proto, undefined, path, 1, false);
      p.line(0, "}");
      break;
  }
  return p.text();
}

const scalarTypeNames: Partial<Record<Type, string>> = {
  [Type.DOUBLE]: "double",
  [Type.FLOAT]: "float",
  [Type.INT64]: "int64",
  [Type.UINT64]: "uint64",
  [Type.INT32]: "int32",
  [Type.FIXED64]: "fixed64",
  [Type.FIXED32]: "fixed32",
  [Type.BOOL]: "bool",
  [Type.STRING]: "string",
  [Type.BYTES]: "bytes",
  [Type.UINT32]: "uint32",
  [Type.SFIXED32]: "sfixed32",
  [Type.SFIXED64]: "sfixed64",
  [Type.SINT32]: "sint32",
  [Type.SINT64]: "sint64",
};

function typeNameOf(field: FieldDescriptorProto): string {
  const scalar = scalarTypeNames[field.type];
  if (scalar) return scalar;
  return field.typeName.startsWith(".") ? field.typeName : `.${field.typeName}`;
}

/** protoc's default json_name (Go's JSONCamelCase). */
function jsonNameOf(name: string): string {
  let out = "";
  let wasUnderscore = false;
  for (const c of name) {
    if (c !== "_") out += wasUnderscore && c >= "a" && c <= "z" ? c.toUpperCase() : c;
    wasUnderscore = c === "_";
  }
  return out;
}

function bracketOptions(options: string[]): string {
  return options.length === 0 ? "" : ` [${options.join(", ")}]`;
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

class Printer {
  private readonly out: string[] = [];
  private readonly leading = new Map<string, string>();
  private readonly syntax: string;

  constructor(file: FileDescriptorProto) {
    this.syntax = file.syntax || "proto2";
    for (const location of file.sourceCodeInfo?.location ?? []) {
      if (location.leadingComments !== undefined && location.leadingComments !== "") {
        this.leading.set(location.path.join("."), location.leadingComments);
      }
    }
  }

  text(): string {
    return this.out.join("\n");
  }

  line(indent: number, text: string): void {
    this.out.push(`${"  ".repeat(indent)}${text}`);
  }

  /** The leading (doc) comment of the element at `path`, as `//` lines. */
  comments(path: readonly number[], indent: number): void {
    const comment = this.leading.get(path.join("."));
    if (comment === undefined) return;
    for (const text of comment.replace(/\n$/, "").split("\n")) this.line(indent, `//${text}`);
  }

  message(message: DescriptorProto, path: number[], indent: number): void {
    this.comments(path, indent);
    this.line(indent, `message ${message.name} {`);
    if (message.options?.deprecated) this.line(indent + 1, "option deprecated = true;");
    // Fields and one-ofs by number, a one-of where its lowest-numbered field is.
    const fields = message.field.map((field, index) => ({ field, index })).sort((a, b) => a.field.number - b.field.number);
    const printedOneofs = new Set<number>();
    for (const { field, index } of fields) {
      const oneofIndex = oneofIndexOf(field);
      if (oneofIndex !== undefined && !field.proto3Optional) {
        if (printedOneofs.has(oneofIndex)) continue;
        printedOneofs.add(oneofIndex);
        const oneof = message.oneofDecl[oneofIndex];
        if (oneof) this.oneof(oneof, oneofIndex, message, path, [...path, 8, oneofIndex], indent + 1);
        continue;
      }
      this.field(field, message, [...path, 2, index], indent + 1, false);
    }
    const byName = <T extends { name: string }>(list: readonly T[]) =>
      list.map((item, index) => ({ item, index })).sort((a, b) => (a.item.name < b.item.name ? -1 : a.item.name > b.item.name ? 1 : 0));
    for (const { item, index } of byName(message.nestedType)) {
      if (item.options?.mapEntry) continue;
      this.message(item, [...path, 3, index], indent + 1);
    }
    for (const { item, index } of byName(message.enumType)) this.enumType(item, [...path, 4, index], indent + 1);
    for (const range of [...message.extensionRange].sort((a, b) => a.start - b.start)) {
      this.line(indent + 1, `extensions ${rangeText(range.start, range.end - 1)};`);
    }
    const extensions = message.extension.map((field, index) => ({ field, index }));
    for (const extendee of [...new Set(extensions.map((e) => e.field.extendee))].sort()) {
      this.line(indent + 1, `extend ${extendee} {`);
      for (const { field, index } of extensions.filter((e) => e.field.extendee === extendee).sort((a, b) => a.field.number - b.field.number)) {
        this.field(field, undefined, [...path, 6, index], indent + 2, false);
      }
      this.line(indent + 1, "}");
    }
    if (message.reservedRange.length > 0) {
      const ranges = [...message.reservedRange].sort((a, b) => a.start - b.start).map((r) => rangeText(r.start, r.end - 1));
      this.line(indent + 1, `reserved ${ranges.join(", ")};`);
    }
    if (message.reservedName.length > 0) {
      this.line(indent + 1, `reserved ${[...message.reservedName].sort().map(quote).join(", ")};`);
    }
    this.line(indent, "}");
  }

  oneof(oneof: OneofDescriptorProto, oneofIndex: number, message: DescriptorProto, messagePath: number[], path: number[], indent: number): void {
    this.comments(path, indent);
    this.line(indent, `oneof ${oneof.name} {`);
    const members = message.field
      .map((field, index) => ({ field, index }))
      .filter(({ field }) => oneofIndexOf(field) === oneofIndex && !field.proto3Optional)
      .sort((a, b) => a.field.number - b.field.number);
    for (const { field, index } of members) this.field(field, message, [...messagePath, 2, index], indent + 1, true);
    this.line(indent, "}");
  }

  field(field: FieldDescriptorProto, message: DescriptorProto | undefined, path: number[], indent: number, inOneof: boolean): void {
    this.comments(path, indent);
    const entry =
      field.type === Type.MESSAGE && field.label === Label.REPEATED
        ? message?.nestedType.find((n) => n.options?.mapEntry && field.typeName.endsWith(`.${n.name}`))
        : undefined;
    let typeAndLabel: string;
    if (entry) {
      const key = entry.field.find((f) => f.number === 1);
      const value = entry.field.find((f) => f.number === 2);
      typeAndLabel = `map<${key ? typeNameOf(key) : "?"}, ${value ? typeNameOf(value) : "?"}>`;
    } else {
      let label = "";
      if (field.label === Label.REPEATED) label = "repeated ";
      else if (field.proto3Optional) label = "optional ";
      else if (this.syntax === "proto2" && !inOneof) label = field.label === Label.REQUIRED ? "required " : "optional ";
      typeAndLabel = `${label}${field.type === Type.GROUP ? "group" : typeNameOf(field)}`;
    }
    const options: string[] = [];
    if (field.defaultValue !== undefined && field.defaultValue !== "") {
      options.push(`default = ${field.type === Type.STRING || field.type === Type.BYTES ? quote(field.defaultValue) : field.defaultValue}`);
    }
    if (field.jsonName !== undefined && field.jsonName !== "" && field.jsonName !== jsonNameOf(field.name)) {
      options.push(`json_name = ${quote(field.jsonName)}`);
    }
    if (field.options?.deprecated) options.push("deprecated = true");
    if (field.options && isFieldSet(field.options, FieldOptionsSchema.field.packed)) options.push(`packed = ${field.options.packed}`);
    this.line(indent, `${typeAndLabel} ${field.name} = ${field.number}${bracketOptions(options)};`);
  }

  enumType(enumType: EnumDescriptorProto, path: number[], indent: number): void {
    this.comments(path, indent);
    this.line(indent, `enum ${enumType.name} {`);
    if (enumType.options?.allowAlias) this.line(indent + 1, "option allow_alias = true;");
    if (enumType.options?.deprecated) this.line(indent + 1, "option deprecated = true;");
    const values = enumType.value.map((value, index) => ({ value, index })).sort((a, b) => a.value.number - b.value.number);
    for (const { value, index } of values) {
      this.comments([...path, 2, index], indent + 1);
      this.line(indent + 1, `${value.name} = ${value.number}${bracketOptions(value.options?.deprecated ? ["deprecated = true"] : [])};`);
    }
    if (enumType.reservedRange.length > 0) {
      const ranges = [...enumType.reservedRange].sort((a, b) => a.start - b.start).map((r) => rangeText(r.start, r.end));
      this.line(indent + 1, `reserved ${ranges.join(", ")};`);
    }
    if (enumType.reservedName.length > 0) {
      this.line(indent + 1, `reserved ${[...enumType.reservedName].sort().map(quote).join(", ")};`);
    }
    this.line(indent, "}");
  }

  service(service: ServiceDescriptorProto, path: number[], indent: number): void {
    this.comments(path, indent);
    this.line(indent, `service ${service.name} {`);
    if (service.options?.deprecated) this.line(indent + 1, "option deprecated = true;");
    const methods = service.method.map((method, index) => ({ method, index })).sort((a, b) => (a.method.name < b.method.name ? -1 : a.method.name > b.method.name ? 1 : 0));
    for (const { method, index } of methods) this.method(method, [...path, 2, index], indent + 1);
    this.line(indent, "}");
  }

  method(method: MethodDescriptorProto, path: number[], indent: number): void {
    this.comments(path, indent);
    const input = `${method.clientStreaming ? "stream " : ""}${method.inputType}`;
    const output = `${method.serverStreaming ? "stream " : ""}${method.outputType}`;
    const signature = `rpc ${method.name} ( ${input} ) returns ( ${output} )`;
    if (method.options?.deprecated) {
      this.line(indent, `${signature} {`);
      this.line(indent + 1, "option deprecated = true;");
      this.line(indent, "}");
    } else {
      this.line(indent, `${signature};`);
    }
  }
}

/** descriptor.proto is proto2: an unset oneof_index reads as 0, so presence must be asked. */
function oneofIndexOf(field: FieldDescriptorProto): number | undefined {
  return isFieldSet(field, FieldDescriptorProtoSchema.field.oneofIndex) ? field.oneofIndex : undefined;
}

function rangeText(start: number, endInclusive: number): string {
  if (start === endInclusive) return String(start);
  return endInclusive >= 536870911 ? `${start} to max` : `${start} to ${endInclusive}`;
}

// --- process entry point ---

function processIo(): GrpcurlIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readStdin: () => readStdin(),
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => (stream.writableLength === 0 ? resolve() : stream.write("", () => resolve())));
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const code = await runGrpcurl(process.argv.slice(2), processIo());
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
