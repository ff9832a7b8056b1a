// Units that this process's batches have planned on stock levels but that a snapshot may not
// show yet, so a batch decided while another is still writing (a pipelined lane, concurrent
// BatchReserve calls) plans against the counters as they will be, not as they were. Only an
// estimate: the guarded write decides. Too few units counted costs a retry (the guard fails);
// too many (a claimant whose write then fails) could refuse an order that fits, so a batch does
// not refuse or shorten an order on claimed units: it waits for the claimants to settle and
// decides that order again (src/app/reserve-batch.ts).

/** One batch's planned units on one stock level. */
export interface Claim {
  key: string;
  units: number;
  /** The level's version after the batch's write; null until the write is done. */
  postVersion: number | null;
  /** Resolves when the claim is released (its batch committed or rolled back). */
  settled: Promise<void>;
}

interface HeldClaim extends Claim { settle(): void }

export class InFlightUnits {
  private readonly claims = new Map<string, Set<HeldClaim>>();

  /**
   * Units claimed on the level that a snapshot showing it at `snapshotVersion` does not include:
   * a claim not yet written will apply on top of any snapshot; a written one is included only in
   * snapshots at or after its version (its row stays locked until its commit).
   */
  pending(key: string, snapshotVersion: number): number {
    let units = 0;
    for (const c of this.claims.get(key) ?? []) if (c.postVersion === null || snapshotVersion < c.postVersion) units += c.units;
    return units;
  }

  claim(key: string, units: number): Claim {
    let settle = () => {};
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const claim: HeldClaim = { key, units, postVersion: null, settled, settle };
    const set = this.claims.get(key) ?? new Set();
    set.add(claim);
    this.claims.set(key, set);
    return claim;
  }

  written(claim: Claim, postVersion: number): void {
    claim.postVersion = postVersion;
  }

  /** Forgets claims whose batch committed or rolled back. */
  release(claims: Iterable<Claim>): void {
    for (const c of claims) {
      const set = this.claims.get(c.key);
      if (!set || !set.delete(c as HeldClaim)) continue;
      (c as HeldClaim).settle();
      if (set.size === 0) this.claims.delete(c.key);
    }
  }

  /** Resolves once every claim now held on these levels is released. */
  async settledAll(keys: Iterable<string>): Promise<void> {
    const held = [...new Set(keys)].flatMap((k) => [...(this.claims.get(k) ?? [])]);
    await Promise.all(held.map((c) => c.settled));
  }

  /** Stock levels with claims (bounded by the batches in flight). */
  get size(): number {
    return this.claims.size;
  }
}
