// grpc-js answers INTERNAL when a request's bytes do not decode, before any handler runs. These
// wrappers hand such a request to the handler as a MalformedRequest, answered INVALID_ARGUMENT.
import type { ServiceDefinition } from "@grpc/grpc-js";

export class MalformedRequest {
  constructor(readonly detail: string) {}
}

export function tolerantDecoding<D extends ServiceDefinition>(definition: D): D {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => [name, {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (error) {
          return new MalformedRequest(error instanceof Error ? error.message : String(error));
        }
      },
    }]),
  ) as D;
}
