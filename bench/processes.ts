// Child processes of the benchmark: servers under load (each stopped by its own pid), and the
// CPU figures /proc gives about them and the machine.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { freePort } from "../src/net/free-port.js";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";

export const repoRoot = fileURLToPath(new URL("..", import.meta.url));
/** How long a server may take to migrate and bind. */
export const serverReadyMsMax = 60_000;
/** How long a server may take to drain and exit after SIGTERM before it is killed. */
export const serverStopMsMax = 15_000;
/** Lines of a child's stderr kept to explain a failure. */
const stderrLinesKept = 40;


export interface Child {
  name: string;
  process: ChildProcess;
  address: string;
  /** The last lines the process wrote to stderr. */
  recentStderr(): string;
  stop(): Promise<void>;
}

/** Starts `node --import tsx <script>` on 127.0.0.1 and waits until a gRPC channel to it is ready. */
export async function startChild(name: string, script: string, env: Record<string, string>): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: repoRoot,
    env: { ...process.env, ...env, GRPC_HOST: "127.0.0.1", GRPC_PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > stderrLinesKept) lines.shift();
      // Warnings and errors of a server under load are worth seeing as they happen.
      if (/"level":(40|50|60)/.test(line) || !line.startsWith("{")) process.stderr.write(`  [${name}] ${line.slice(0, 400)}\n`);
    }
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on("exit", () => { exited = true; resolve(); }));
  const address = `127.0.0.1:${port}`;

  const ready = new Promise<void>((resolve, reject) => {
    const probe = new grpc.Client(address, grpc.credentials.createInsecure());
    probe.waitForReady(Date.now() + serverReadyMsMax, (error) => {
      probe.close();
      if (error) reject(new Error(`${name} did not come up in ${serverReadyMsMax / 1000}s`));
      else resolve();
    });
  });
  await Promise.race([ready, exit.then(() => { throw new Error(`${name} exited before it was ready:\n${lines.join("\n")}`); })]);

  return {
    name,
    process: child,
    address,
    recentStderr: () => lines.join("\n"),
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => { if (!exited) child.kill("SIGKILL"); }, serverStopMsMax);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** CPU milliseconds a process has used (user + system), from /proc; null where /proc is absent. */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100;
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
export function machineCpu(): { busy: number; total: number } | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.reduce((s, x) => s + x, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

export { freePort };
