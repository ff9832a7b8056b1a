// The service as a real child process (`node --import tsx src/main.ts`), on 127.0.0.1 only, so
// fault tests can kill -9 it, SIGTERM it, or run two of them on one database.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

export { freePort } from "../../../src/net/free-port.js";

export interface ServiceProcessOptions {
  databaseUrl: string;
  port: number;
  poolSize?: number;
  /** Extra environment (LOG_LEVEL, ...). */
  env?: Record<string, string>;
  /** Milliseconds to wait for "gRPC server listening"; the child is killed after that. */
  startTimeoutMs?: number;
}

export interface ServiceProcess {
  pid: number;
  address: string;
  /** Every line the child wrote to stdout and stderr (pino JSON and anything else). */
  lines: string[];
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  kill(signal: NodeJS.Signals): void;
  /** SIGKILLs the child if it still runs and waits for it; safe to call twice. */
  dispose(): Promise<void>;
  /** The parsed pino records whose msg matches. */
  logged(msg: string | RegExp): Record<string, unknown>[];
}

const running = new Set<ChildProcess>();
// A test that fails half-way must not leave a server behind.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startService(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      NODE_ENV: "test",
      // The service's own switches (STOCKHOLD_RESERVE_STRATEGY, ...) pass through, so the fault
      // suite can run against each variant.
      ...Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith("STOCKHOLD_") && v !== undefined)),
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: String(options.port),
      DATABASE_URL: options.databaseUrl,
      DATABASE_POOL_SIZE: String(options.poolSize ?? 10),
      LOG_LEVEL: "info",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const lines: string[] = [];
  let exitedFlag = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      exitedFlag = true;
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const collect = (stream: NodeJS.ReadableStream) => {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      rest += chunk;
      const parts = rest.split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts.filter((l) => l.length > 0));
    });
  };
  collect(child.stdout!);
  collect(child.stderr!);

  const logged = (msg: string | RegExp) =>
    lines.flatMap((line) => {
      try {
        const record = JSON.parse(line) as Record<string, unknown>;
        const m = String(record.msg ?? "");
        return (typeof msg === "string" ? m === msg : msg.test(m)) ? [record] : [];
      } catch {
        return [];
      }
    });

  const service: ServiceProcess = {
    pid: child.pid!,
    address: `127.0.0.1:${options.port}`,
    lines,
    exited,
    hasExited: () => exitedFlag,
    kill: (signal) => {
      if (!exitedFlag) child.kill(signal);
    },
    async dispose() {
      if (!exitedFlag) child.kill("SIGKILL");
      await exited;
    },
    logged,
  };

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const started = Date.now();
  while (logged("gRPC server listening").length === 0) {
    if (exitedFlag) throw new Error(`the service exited before listening:\n${lines.join("\n")}`);
    if (Date.now() - started > timeoutMs) {
      await service.dispose();
      throw new Error(`the service did not listen within ${timeoutMs} ms:\n${lines.join("\n")}`);
    }
    await sleep(25);
  }
  return service;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true, at most `timeoutMs`; returns whether it did. */
export async function waitUntil(probe: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() >= end) return false;
    await sleep(everyMs);
  }
}
