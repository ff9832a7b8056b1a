// Server reflection that serves the real .proto files, not proto-loader's reconstruction.
//
// @grpc/reflection only reads `fileDescriptorProtos` from the PackageDefinition it is given.
// proto-loader fills that with files it rebuilds from protobufjs: one synthetic file per
// package, `dependency: []`, relative type names, no comments. Strict clients (grpcurl
// describe/invoke, Python's DescriptorPool, @bufbuild/protobuf) then fail on imported types such
// as google.protobuf.Timestamp (grpc-node#3034). So we hand the library the FileDescriptorProtos
// of the buf image instead: real file names, real imports, source_code_info comments.
//
// How the library uses them (node_modules/@grpc/reflection 1.0.4, reflection-v1.js): it decodes
// every entry's `fileDescriptorProtos` with protobufjs, de-duplicates by file name, indexes every
// symbol (messages, fields, enums, values, services, methods) to its file, and answers
// file_containing_symbol / file_by_filename with [that file, ...the files it references], each
// re-encoded with protobufjs. protobufjs knows every descriptor.proto field, so the re-encoding is
// byte-identical to the image except that it drops buf's image-only field 8042
// (buf.alpha.image.v1.ImageFileExtension), which no client reads. Since every image file is
// indexed by name, every `dependency` entry can be fetched with file_by_filename. The library
// registers the same implementation at grpc.reflection.v1 and grpc.reflection.v1alpha.

import { readFileSync } from "node:fs";
import type * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";

/** A buf image (`buf build -o x.binpb`): the FileDescriptorSet bytes and its files' own bytes. */
export interface BufImage {
  /** The whole FileDescriptorSet, as read. */
  readonly bytes: Buffer;
  /** Each `file` entry (field 1) of the set, byte-for-byte as in the image, in image order. */
  readonly files: Buffer[];
}

export interface AddReflectionOptions {
  /**
   * Also serve grpc/health/v1/health.proto (default true). The image only holds our own protos,
   * but the server registers grpc-health-check's Health service, and clients should be able to
   * list and call it through reflection.
   */
  readonly health?: boolean;
}

/** Reads a buf image and splits it into its FileDescriptorProtos without re-encoding them. */
export function loadImage(imagePath: string | URL): BufImage {
  const bytes = readFileSync(imagePath);
  return { bytes, files: splitFileDescriptorSet(bytes) };
}

/**
 * The raw `file` entries (field 1) of a FileDescriptorSet. Split on the wire rather than decoded
 * and re-encoded, so nothing (source info, options, unknown fields) can be lost on the way.
 */
export function splitFileDescriptorSet(set: Uint8Array): Buffer[] {
  const reader = new BinaryReader(set);
  const files: Buffer[] = [];
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === 1 && wireType === WireType.LengthDelimited) {
      files.push(Buffer.from(reader.bytes()));
    } else {
      reader.skip(wireType);
    }
  }
  return files;
}

/**
 * Registers grpc.reflection.v1 and v1alpha ServerReflection on `server`, serving the files of the
 * buf image at `imagePath` (and, unless `options.health === false`, grpc/health/v1/health.proto).
 */
export function addReflection(
  server: grpc.Server,
  imagePath: string | URL,
  options: AddReflectionOptions = {},
): void {
  const image = loadImage(imagePath);
  const files = [...image.files];
  if (options.health !== false) files.push(healthFileDescriptorProto());
  // The PackageDefinition is only the carrier @grpc/reflection expects; its synthetic
  // fileDescriptorProtos are replaced on every message and enum entry (service entries have
  // none, and the library reads none from them). Any one entry would do, as the library merges
  // them by file name, but setting all keeps the definition self-consistent.
  const definition = protoLoader.loadFileDescriptorSetFromBuffer(image.bytes, { keepCase: true });
  for (const entry of Object.values(definition)) {
    if ("fileDescriptorProtos" in entry && Array.isArray(entry.fileDescriptorProtos)) {
      entry.fileDescriptorProtos = files;
    }
  }
  new ReflectionService(definition).addToServer(server);
}

let healthFile: Buffer | undefined;

/**
 * grpc/health/v1/health.proto as grpc-health-check 2.1.0 ships it (proto/health/v1/health.proto),
 * written out as a descriptor. Built by hand because the package ships only the .proto source,
 * and proto-loader's rendering of it is the broken kind described above (file
 * "grpc_health_v1.proto", relative type names that @bufbuild/protobuf cannot resolve).
 */
export function healthFileDescriptorProto(): Buffer {
  if (healthFile) return healthFile;
  const pkg = ".grpc.health.v1";
  const file = create(FileDescriptorProtoSchema, {
    name: "grpc/health/v1/health.proto",
    package: "grpc.health.v1",
    syntax: "proto3",
    options: {
      csharpNamespace: "Grpc.Health.V1",
      goPackage: "google.golang.org/grpc/health/grpc_health_v1",
      javaMultipleFiles: true,
      javaOuterClassname: "HealthProto",
      javaPackage: "io.grpc.health.v1",
    },
    messageType: [
      { name: "HealthListRequest" },
      {
        name: "HealthListResponse",
        field: [
          {
            name: "statuses",
            number: 1,
            label: Label.REPEATED,
            type: Type.MESSAGE,
            typeName: `${pkg}.HealthListResponse.StatusesEntry`,
            jsonName: "statuses",
          },
        ],
        nestedType: [
          {
            name: "StatusesEntry",
            field: [
              { name: "key", number: 1, label: Label.OPTIONAL, type: Type.STRING, jsonName: "key" },
              {
                name: "value",
                number: 2,
                label: Label.OPTIONAL,
                type: Type.MESSAGE,
                typeName: `${pkg}.HealthCheckResponse`,
                jsonName: "value",
              },
            ],
            options: { mapEntry: true },
          },
        ],
      },
      {
        name: "HealthCheckRequest",
        field: [
          { name: "service", number: 1, label: Label.OPTIONAL, type: Type.STRING, jsonName: "service" },
        ],
      },
      {
        name: "HealthCheckResponse",
        field: [
          {
            name: "status",
            number: 1,
            label: Label.OPTIONAL,
            type: Type.ENUM,
            typeName: `${pkg}.HealthCheckResponse.ServingStatus`,
            jsonName: "status",
          },
        ],
        enumType: [
          {
            name: "ServingStatus",
            value: [
              { name: "UNKNOWN", number: 0 },
              { name: "SERVING", number: 1 },
              { name: "NOT_SERVING", number: 2 },
              { name: "SERVICE_UNKNOWN", number: 3 },
            ],
          },
        ],
      },
    ],
    service: [
      {
        name: "Health",
        method: [
          { name: "Check", inputType: `${pkg}.HealthCheckRequest`, outputType: `${pkg}.HealthCheckResponse` },
          {
            name: "Watch",
            inputType: `${pkg}.HealthCheckRequest`,
            outputType: `${pkg}.HealthCheckResponse`,
            serverStreaming: true,
          },
          { name: "List", inputType: `${pkg}.HealthListRequest`, outputType: `${pkg}.HealthListResponse` },
        ],
      },
    ],
  });
  healthFile = Buffer.from(toBinary(FileDescriptorProtoSchema, file));
  return healthFile;
}
