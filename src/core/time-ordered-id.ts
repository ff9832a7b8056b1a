// UUID version 7 (RFC 9562): 48 bits of Unix time in milliseconds, the version, 74 random bits,
// the variant. Ids made in time order sort in time order, so new rows go to the right-hand end of
// the indexes on them instead of to a random page of each.

/** Random bytes one id takes: 12 bits of rand_a and 62 of rand_b, in 10 bytes. */
export const uuidV7RandomBytes = 10;
const unixMsLimit = 2 ** 48;

/** The UUIDv7 of a time (Unix milliseconds) and 10 random bytes, in lowercase hex with hyphens. */
export function uuidV7(unixMs: number, random: Uint8Array): string {
  if (!Number.isInteger(unixMs) || unixMs < 0 || unixMs >= unixMsLimit) throw new RangeError(`unixMs must be an integer from 0 to 2^48 - 1, not ${unixMs}`);
  if (random.length < uuidV7RandomBytes) throw new RangeError(`random must hold ${uuidV7RandomBytes} bytes, not ${random.length}`);
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(unixMs, 0, 6);
  bytes.set(random.subarray(0, uuidV7RandomBytes), 6);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
