// A grpcurl-like client that knows nothing about the server's protos except what server
// reflection tells it, and is as strict as grpcurl about it: the file declaring a symbol comes
// from file_containing_symbol, every import is fetched by name with file_by_filename
// (recursively), and the files go through @bufbuild/protobuf's createFileRegistry, which throws
// when an import cannot be resolved or a referenced type is missing. No leniency, no fallback to
// the extra files a server happens to send along. (grpc-js-reflection-client is lenient and does
// not notice a server that serves files without their imports.)
//
// The only protos compiled in are the reflection protos themselves, loaded with proto-loader from
// @grpc/reflection's package, as grpcurl has them compiled in.

import { createRequire } from "node:module";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import {
  create,
  createFileRegistry,
  fromBinary,
  fromJson,
  toBinary,
  toJson,
  type DescEnum,
  type DescEnumValue,
  type DescExtension,
  type DescField,
  type DescFile,
  type DescMessage,
  type DescMethod,
  type DescOneof,
  type DescService,
  type FileRegistry,
  type JsonObject,
  type JsonValue,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";

/** Anything `describe` can return: a type, a service, or a member of one. */
export type DescribedElement =
  | DescMessage
  | DescEnum
  | DescService
  | DescExtension
  | DescMethod
  | DescField
  | DescOneof
  | DescEnumValue;

/** One FileDescriptorProto as served: its bytes exactly as received, and decoded. */
export interface ReflectedFile {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly proto: FileDescriptorProto;
}

export type ReflectionVersion = "v1" | "v1alpha";

export interface StrictReflectionClientOptions {
  /** Use only this reflection version. Default: v1, then v1alpha if v1 is UNIMPLEMENTED. */
  readonly version?: ReflectionVersion;
  readonly credentials?: grpc.ChannelCredentials;
}

export interface InvokeOptions {
  readonly metadata?: grpc.Metadata | Record<string, string>;
  /** Deadline in milliseconds from now. */
  readonly timeoutMs?: number;
}

/**
 * The strict registry construction on its own: `root` plus everything it imports, transitively,
 * looked up with `resolve` by file name. Throws when an import cannot be resolved or a type is
 * missing (createFileRegistry), and, like Go's protodesc behind grpcurl and buf curl, when a
 * source_code_info location has no valid span (createFileRegistry does not check that).
 */
export function buildStrictRegistry(
  root: FileDescriptorProto,
  resolve: (fileName: string) => FileDescriptorProto | undefined,
): FileRegistry {
  // Dependencies first, in a real topological order: createFileRegistry's own resolver walk
  // adds a file before an import it shares with a sibling (stock.proto before duration.proto
  // when both are imported by inventory_service.proto) and then fails on a valid set.
  const ordered: FileDescriptorProto[] = [];
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (file: FileDescriptorProto): void => {
    if (done.has(file.name)) return;
    if (visiting.has(file.name)) throw new Error(`import cycle through ${file.name}`);
    visiting.add(file.name);
    assertValidSpans(file);
    for (const name of file.dependency) {
      const dep = resolve(name);
      if (!dep) throw new Error(`Unable to resolve ${name}, imported by ${file.name}`);
      visit(dep);
    }
    visiting.delete(file.name);
    done.add(file.name);
    ordered.push(file);
  };
  visit(root);
  assertTypesResolve(ordered);
  return createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
}

/**
 * Every type a field names must be declared in its file or in what the file imports, as protoc
 * and Go's protodesc require. Checked here to fail with the name rather than createFileRegistry's
 * bare assertion.
 */
function assertTypesResolve(files: FileDescriptorProto[]): void {
  const declaredIn = new Map<string, Set<string>>();
  type Msg = FileDescriptorProto["messageType"][number];
  const collect = (names: Set<string>, scope: string, messages: Msg[], enums: { name: string }[]) => {
    for (const e of enums) names.add(`.${scope}${e.name}`);
    for (const m of messages) {
      names.add(`.${scope}${m.name}`);
      collect(names, `${scope}${m.name}.`, m.nestedType, m.enumType);
    }
  };
  for (const file of files) {
    const names = new Set<string>();
    collect(names, file.package ? `${file.package}.` : "", file.messageType, file.enumType);
    declaredIn.set(file.name, names);
  }
  const fieldsOf = (messages: Msg[]): Msg["field"] => messages.flatMap((m) => [...m.field, ...fieldsOf(m.nestedType)]);
  for (const file of files) {
    const visible = new Set([...(declaredIn.get(file.name) ?? []), ...file.dependency.flatMap((d) => [...(declaredIn.get(d) ?? [])])]);
    const named = [
      ...fieldsOf(file.messageType).map((f) => f.typeName),
      ...file.service.flatMap((sv) => sv.method.flatMap((m) => [m.inputType, m.outputType])),
    ];
    for (const typeName of named) {
      if (!typeName) continue;
      // A relative name is looked up from the innermost package scope outwards, as protoc does.
      const scopes = (file.package ?? "").split(".").filter(Boolean);
      const candidates = typeName.startsWith(".") ? [typeName]
        : [...scopes.map((_, i) => `.${scopes.slice(0, scopes.length - i).join(".")}.${typeName}`), `.${typeName}`];
      if (!candidates.some((c) => visible.has(c))) {
        throw new Error(`${file.name}: type_name ${typeName.replace(/^\./, "")} not found in the file or its imports`);
      }
    }
  }
}

function assertValidSpans(file: FileDescriptorProto): void {
  for (const location of file.sourceCodeInfo?.location ?? []) {
    if (location.span.length !== 3 && location.span.length !== 4) {
      throw new Error(`${file.name}: invalid span [${location.span.join(",")}] at path [${location.path.join(",")}]`);
    }
  }
}

// --- reflection protocol (shapes of proto-loader objects; keepCase false, oneofs true) ---

interface ReflectionRequest {
  host?: string;
  fileByFilename?: string;
  fileContainingSymbol?: string;
  listServices?: string;
}

interface ReflectionResponse {
  messageResponse?:
    | "fileDescriptorResponse"
    | "allExtensionNumbersResponse"
    | "listServicesResponse"
    | "errorResponse";
  fileDescriptorResponse?: { fileDescriptorProto?: Buffer[] };
  listServicesResponse?: { service?: { name?: string }[] };
  errorResponse?: { errorCode?: number; errorMessage?: string };
}

/** A reflection error_response, surfaced with its gRPC status code. */
export class ReflectionResponseError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "ReflectionResponseError";
  }
}

const reflectionProtoDir = path.join(
  path.dirname(createRequire(import.meta.url).resolve("@grpc/reflection/package.json")),
  "build/proto",
);

function reflectionMethod(version: ReflectionVersion): protoLoader.MethodDefinition<ReflectionRequest, ReflectionResponse> {
  const definition = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, {
    includeDirs: [reflectionProtoDir],
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const service = definition[`grpc.reflection.${version}.ServerReflection`] as protoLoader.ServiceDefinition;
  return service.ServerReflectionInfo as protoLoader.MethodDefinition<ReflectionRequest, ReflectionResponse>;
}

interface Pending {
  resolve(response: ReflectionResponse): void;
  reject(error: unknown): void;
}

/** One ServerReflectionInfo stream; the server answers requests in order, so replies are FIFO. */
class ReflectionStream {
  private readonly pending: Pending[] = [];
  private readonly call: grpc.ClientDuplexStream<ReflectionRequest, ReflectionResponse>;
  closed = false;

  constructor(client: grpc.Client, method: protoLoader.MethodDefinition<ReflectionRequest, ReflectionResponse>) {
    this.call = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize);
    this.call.on("data", (response: ReflectionResponse) => this.pending.shift()?.resolve(response));
    this.call.on("error", (error) => this.fail(error));
    this.call.on("end", () => this.fail(new Error("reflection stream ended")));
  }

  request(request: ReflectionRequest): Promise<ReflectionResponse> {
    if (this.closed) return Promise.reject(new Error("reflection stream closed"));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.call.write(request);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.call.end();
    this.call.cancel();
  }

  private fail(error: unknown): void {
    this.closed = true;
    for (const p of this.pending.splice(0)) p.reject(error);
  }
}

function isUnimplemented(error: unknown): boolean {
  return (error as Partial<grpc.ServiceError> | undefined)?.code === grpc.status.UNIMPLEMENTED;
}

export class StrictReflectionClient {
  private readonly client: grpc.Client;
  private readonly forcedVersion: ReflectionVersion | undefined;
  private activeVersion: ReflectionVersion;
  private stream: ReflectionStream | undefined;
  /** Files fetched by name (file_by_filename), or as the declaring file of a symbol. */
  private readonly files = new Map<string, ReflectedFile>();
  private readonly registries = new Map<string, FileRegistry>();

  constructor(address: string, options: StrictReflectionClientOptions = {}) {
    this.client = new grpc.Client(address, options.credentials ?? grpc.credentials.createInsecure());
    this.forcedVersion = options.version;
    this.activeVersion = options.version ?? "v1";
  }

  /** The reflection version in use (after any fallback to v1alpha). */
  get version(): ReflectionVersion {
    return this.activeVersion;
  }

  /** Fully-qualified names of the services the server lists, sorted. */
  async listServices(): Promise<string[]> {
    const response = await this.request({ listServices: "*" }, "listServicesResponse");
    return (response.listServicesResponse?.service ?? []).map((s) => s.name ?? "").sort();
  }

  /** The file declaring `symbol` (the first file of the file_containing_symbol answer). */
  async fileContainingSymbol(symbol: string): Promise<ReflectedFile> {
    const response = await this.request({ fileContainingSymbol: symbol }, "fileDescriptorResponse");
    const first = response.fileDescriptorResponse?.fileDescriptorProto?.[0];
    if (!first) throw new Error(`file_containing_symbol ${symbol}: no file in the answer`);
    const file = decodeFile(first);
    this.remember(file);
    return file;
  }

  /** The file named `fileName`, from file_by_filename; the answer must contain it. */
  async fileByFilename(fileName: string): Promise<ReflectedFile> {
    const response = await this.request({ fileByFilename: fileName }, "fileDescriptorResponse");
    const file = (response.fileDescriptorResponse?.fileDescriptorProto ?? [])
      .map(decodeFile)
      .find((f) => f.name === fileName);
    if (!file) throw new Error(`file_by_filename ${fileName}: answer does not contain that file`);
    this.remember(file);
    return file;
  }

  /**
   * A registry holding the file that declares `symbol` and all its transitive imports, each
   * fetched by name. Throws (from createFileRegistry) if anything is missing.
   */
  async registryFor(symbol: string): Promise<FileRegistry> {
    const root = await this.fileContainingSymbol(lookupName(symbol));
    const cached = this.registries.get(root.name);
    if (cached) return cached;
    const queue = [...root.proto.dependency];
    const seen = new Set<string>([root.name]);
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const file = this.files.get(name) ?? (await this.fileByFilename(name));
      queue.push(...file.proto.dependency);
    }
    const registry = buildStrictRegistry(root.proto, (name) => this.files.get(name)?.proto);
    this.registries.set(root.name, registry);
    return registry;
  }

  /**
   * Resolves a fully-qualified name the way `grpcurl describe` does: a message, enum, service or
   * extension, or a member of one: `pkg.Message.field`, `pkg.Message.oneof`, `pkg.Service.Method`
   * (or `pkg.Service/Method`), `pkg.Enum.VALUE`. Field names are the proto (snake_case) names.
   */
  async describe(fullName: string): Promise<DescribedElement> {
    return (await this.resolve(fullName)).element;
  }

  /** Leading comment of `fullName` from source_code_info, one leading space per line removed. */
  async commentOf(fullName: string): Promise<string | undefined> {
    return leadingComment(await this.describe(fullName));
  }

  /**
   * Calls a unary method like `grpcurl -d '<json>' host pkg.Service/Method`: the request is read
   * as proto JSON (either JSON or proto field names), the response is proto JSON with
   * lowerCamelCase keys and default values omitted. Rejects with the grpc.ServiceError of a
   * failed call.
   */
  async invoke<T = JsonObject>(fullMethod: string, request: object, options: InvokeOptions = {}): Promise<T> {
    const { registry, element: method } = await this.resolve(fullMethod);
    if (method.kind !== "rpc") throw new Error(`${fullMethod} is a ${method.kind}, not a method`);
    if (method.methodKind !== "unary") throw new Error(`${fullMethod} is ${method.methodKind}; only unary is supported`);
    const message = fromJson(method.input, request as JsonValue, { registry });
    const requestBytes = Buffer.from(toBinary(method.input, message));
    const metadata = toMetadata(options.metadata);
    const callOptions: grpc.CallOptions = options.timeoutMs ? { deadline: Date.now() + options.timeoutMs } : {};
    const responseBytes = await new Promise<Buffer>((resolve, reject) => {
      this.client.makeUnaryRequest<Buffer, Buffer>(
        `/${method.parent.typeName}/${method.name}`,
        (b) => b,
        (b) => b,
        requestBytes,
        metadata,
        callOptions,
        (error, value) => (error ? reject(error) : resolve(value!)),
      );
    });
    return toJson(method.output, fromBinary(method.output, responseBytes), { registry }) as T;
  }

  close(): void {
    this.stream?.close();
    this.stream = undefined;
    this.client.close();
  }

  private async resolve(fullName: string): Promise<{ registry: FileRegistry; element: DescribedElement }> {
    const name = lookupName(fullName);
    const registry = await this.registryFor(name);
    const element = findElement(registry, name);
    if (!element) throw new Error(`${fullName}: not found in the file reflection returned for it`);
    return { registry, element };
  }

  private remember(file: ReflectedFile): void {
    if (!this.files.has(file.name)) this.files.set(file.name, file);
  }

  private async request(
    request: ReflectionRequest,
    expected: NonNullable<ReflectionResponse["messageResponse"]>,
  ): Promise<ReflectionResponse> {
    let response: ReflectionResponse;
    try {
      response = await this.openStream().request(request);
    } catch (error) {
      if (!this.forcedVersion && this.activeVersion === "v1" && isUnimplemented(error)) {
        this.stream = undefined;
        this.activeVersion = "v1alpha";
        response = await this.openStream().request(request);
      } else {
        throw error;
      }
    }
    if (response.messageResponse === "errorResponse") {
      const { errorCode = grpc.status.UNKNOWN, errorMessage = "" } = response.errorResponse ?? {};
      throw new ReflectionResponseError(errorCode, `reflection error ${errorCode}: ${errorMessage}`);
    }
    if (response.messageResponse !== expected) {
      throw new Error(`reflection answered ${response.messageResponse ?? "nothing"}, expected ${expected}`);
    }
    return response;
  }

  private openStream(): ReflectionStream {
    if (!this.stream || this.stream.closed) {
      this.stream = new ReflectionStream(this.client, reflectionMethod(this.activeVersion));
    }
    return this.stream;
  }
}

function decodeFile(bytes: Uint8Array): ReflectedFile {
  const proto = fromBinary(FileDescriptorProtoSchema, bytes);
  return { name: proto.name, bytes, proto };
}

/** `pkg.Service/Method` (grpcurl's call syntax) to `pkg.Service.Method`. */
function lookupName(fullName: string): string {
  return fullName.replace(/^\./, "").replace("/", ".");
}

function toMetadata(input: InvokeOptions["metadata"]): grpc.Metadata {
  if (input instanceof grpc.Metadata) return input;
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(input ?? {})) metadata.add(key, value);
  return metadata;
}

function findElement(registry: FileRegistry, name: string): DescribedElement | undefined {
  const direct = registry.get(name);
  if (direct) return direct;
  const dot = name.lastIndexOf(".");
  if (dot < 0) return undefined;
  const parent = findElement(registry, name.slice(0, dot));
  const member = name.slice(dot + 1);
  switch (parent?.kind) {
    case "message":
      return parent.fields.find((f) => f.name === member) ?? parent.oneofs.find((o) => o.name === member);
    case "service":
      return parent.methods.find((m) => m.name === member);
    case "enum":
      return parent.values.find((v) => v.name === member);
    default:
      return undefined;
  }
}

function fileOf(element: DescribedElement): DescFile {
  switch (element.kind) {
    case "message":
    case "enum":
    case "service":
    case "extension":
      return element.file;
    default:
      return fileOf(element.parent);
  }
}

function indexByName(list: readonly { name?: string }[], name: string | undefined): number {
  const index = list.findIndex((item) => item.name === name);
  if (index < 0) throw new Error(`descriptor element ${name} not found in its parent`);
  return index;
}

/** The source_code_info path of an element (see descriptor.proto, SourceCodeInfo.Location.path). */
function sourcePath(element: DescribedElement): number[] {
  const file = fileOf(element).proto;
  switch (element.kind) {
    case "message":
      return element.parent
        ? [...sourcePath(element.parent), 3, indexByName(element.parent.proto.nestedType, element.proto.name)]
        : [4, indexByName(file.messageType, element.proto.name)];
    case "enum":
      return element.parent
        ? [...sourcePath(element.parent), 4, indexByName(element.parent.proto.enumType, element.proto.name)]
        : [5, indexByName(file.enumType, element.proto.name)];
    case "extension":
      return element.parent
        ? [...sourcePath(element.parent), 6, indexByName(element.parent.proto.extension, element.proto.name)]
        : [7, indexByName(file.extension, element.proto.name)];
    case "service":
      return [6, indexByName(file.service, element.proto.name)];
    case "field":
      return [...sourcePath(element.parent), 2, indexByName(element.parent.proto.field, element.proto.name)];
    case "oneof":
      return [...sourcePath(element.parent), 8, indexByName(element.parent.proto.oneofDecl, element.proto.name)];
    case "rpc":
      return [...sourcePath(element.parent), 2, indexByName(element.parent.proto.method, element.proto.name)];
    case "enum_value":
      return [...sourcePath(element.parent), 2, indexByName(element.parent.proto.value, element.proto.name)];
  }
}

function leadingComment(element: DescribedElement): string | undefined {
  const target = sourcePath(element);
  const location = fileOf(element).proto.sourceCodeInfo?.location.find(
    (l) => l.path.length === target.length && l.path.every((n, i) => n === target[i]),
  );
  const raw = location?.leadingComments;
  if (raw === undefined || raw === "") return undefined;
  return raw
    .replace(/\n$/, "")
    .split("\n")
    .map((line) => line.replace(/^ /, ""))
    .join("\n");
}
