// Configuration from the environment, read once at start.
import { databasePoolSizeMax } from "./limits.js";

export interface Config {
  grpcHost: string;
  grpcPort: number;
  /** PostgreSQL URL; null selects the embedded database. */
  databaseUrl: string | null;
  /** Where the embedded database keeps its files. */
  embeddedDataDir: string;
  databasePoolSize: number;
  logLevel: string;
  /** How Reserve guards stock: see ReserveStrategy. */
  reserveStrategy: ReserveStrategy;
}

/**
 * `coalesced` (the default): single-line reserves arriving together share one batch (one write).
 * `guarded`: every reserve in a batch of its own, no coalescing.
 * `row-locking`: SELECT ... FOR UPDATE, check in code, then write: the peers' design, kept as the
 * benchmark's baseline (bench/, issue 5).
 */
export type ReserveStrategy = "coalesced" | "guarded" | "row-locking";
export const reserveStrategies: readonly ReserveStrategy[] = ["coalesced", "guarded", "row-locking"];

/** Reads STOCKHOLD_RESERVE_STRATEGY; unset selects `coalesced`. */
export function reserveStrategyFrom(env: NodeJS.ProcessEnv = process.env): ReserveStrategy {
  const value = env.STOCKHOLD_RESERVE_STRATEGY || "coalesced";
  if (!(reserveStrategies as readonly string[]).includes(value)) {
    throw new Error(`STOCKHOLD_RESERVE_STRATEGY must be one of ${reserveStrategies.join(", ")}, got ${value}`);
  }
  return value as ReserveStrategy;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const grpcPort = Number(env.GRPC_PORT ?? "50051");
  if (!Number.isInteger(grpcPort) || grpcPort < 0 || grpcPort > 65535) throw new Error(`GRPC_PORT must be a port number, got ${env.GRPC_PORT}`);
  const poolSize = Number(env.DATABASE_POOL_SIZE ?? String(databasePoolSizeMax));
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > databasePoolSizeMax * 10) throw new Error(`DATABASE_POOL_SIZE must be 1-${databasePoolSizeMax * 10}`);
  return {
    grpcHost: env.GRPC_HOST ?? "0.0.0.0",
    grpcPort,
    databaseUrl: env.DATABASE_URL ? env.DATABASE_URL : null,
    embeddedDataDir: env.STOCKHOLD_DATA_DIR ?? ".stockhold/pgdata",
    databasePoolSize: poolSize,
    logLevel: env.LOG_LEVEL ?? "info",
    reserveStrategy: reserveStrategyFrom(env),
  };
}
