// A message's protobuf bytes kept beside it when they were made anyway (an answer is encoded to
// be stored before it is sent), so the transport sends those bytes instead of encoding again.
// Only for messages that are not changed after encoding: the bytes would go out stale.
const encodings = new WeakMap<object, Uint8Array>();

/** Records `bytes` as the encoding of `message`, and returns the message. */
export function rememberEncoding<T extends object>(message: T, bytes: Uint8Array): T {
  encodings.set(message, bytes);
  return message;
}

/** The bytes recorded for `message`, if any. */
export function rememberedEncoding(message: unknown): Uint8Array | undefined {
  return typeof message === "object" && message !== null ? encodings.get(message) : undefined;
}
