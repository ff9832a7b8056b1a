// Responses whose bytes were already made (see src/core/message-encoding.ts) go out as those
// bytes; any other response is encoded by the generated serializer as before.
import type { ServiceDefinition } from "@grpc/grpc-js";
import { rememberedEncoding } from "../core/message-encoding.js";

export function reuseRememberedEncodings<D extends ServiceDefinition>(definition: D): D {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => [name, {
      ...method,
      responseSerialize: (value: unknown): Buffer => {
        const bytes = rememberedEncoding(value);
        return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : method.responseSerialize(value);
      },
    }]),
  ) as D;
}
