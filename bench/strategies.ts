// What answers the load: the echo server (no database: the transport's limit), or the real server
// with one reserve strategy.

export interface Strategy {
  name: string;
  /** "echo": bench/echo-server.ts; "server": src/main.ts on the benchmark database. */
  kind: "echo" | "server";
  /** Environment of the server process beyond GRPC_*, DATABASE_URL and LOG_LEVEL. */
  env: Record<string, string>;
  /** A baseline is what the others are compared with; it is not itself judged against goals. */
  baseline: boolean;
  description: string;
}

export const strategies: Strategy[] = [
  { name: "echo", kind: "echo", env: {}, baseline: true, description: "grpc-js server answering a canned ReserveResponse, no database" },
  { name: "coalesced", kind: "server", env: { STOCKHOLD_RESERVE_STRATEGY: "coalesced" }, baseline: false, description: "the service's default: group commit of single-line reserves per SKU, one guarded UPDATE per batch" },
  { name: "guarded", kind: "server", env: { STOCKHOLD_RESERVE_STRATEGY: "guarded" }, baseline: false, description: "every reserve in its own transaction, one conditional UPDATE per line" },
  { name: "row-locking", kind: "server", env: { STOCKHOLD_RESERVE_STRATEGY: "row-locking" }, baseline: true, description: "SELECT ... FOR UPDATE, check in code, write, in one ORM transaction" },
];

export const strategyNames: string[] = strategies.map((s) => s.name);

export function strategyNamed(name: string): Strategy {
  const s = strategies.find((x) => x.name === name);
  if (!s) throw new Error(`unknown strategy ${name}`);
  return s;
}
