// Reservation ids: UUIDv7 on the wall clock. A random UUID (v4) sends each new reservation to a
// random leaf page of each index keyed by it (the reservation's primary key, its lines' two), so
// a batch touches about one page per reservation per index, and the first change to a page after
// a checkpoint writes the whole page to the WAL. Time-ordered ids go to the end of those indexes.
// Measured with `npm run bench:write-cost` (BENCHMARKS.md): 13-25% less database time per
// reservation once the tables hold a few hundred thousand. Only their order matters, so they take
// the wall clock, not the service's Clock: no decision depends on them.
import { randomFillSync } from "node:crypto";
import { uuidV7, uuidV7RandomBytes } from "../core/time-ordered-id.js";

/** Random bytes drawn at once and handed out 10 at a time: one system call per 256 ids. */
const pool = Buffer.alloc(uuidV7RandomBytes * 256);
let used = pool.length;

export function newReservationId(): string {
  if (used + uuidV7RandomBytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const random = pool.subarray(used, used + uuidV7RandomBytes);
  used += uuidV7RandomBytes;
  return uuidV7(Date.now(), random);
}
