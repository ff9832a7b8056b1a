// End-to-end smoke of `npm start` on the embedded database: start it as a user would, run the
// README's grpcurl examples against it, stop it with SIGTERM (must exit 0), start it again and
// check the data survived the restart.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { InventoryServiceClient } from "../src/gen/inventory/v1/inventory_service.js";
import { runReadmeExamples } from "../test/support/readme-examples.js";
import { freePort } from "../src/net/free-port.js";

const startupMsMax = 90_000;
const stopMsMax = 20_000;

function start(port: number, dataDir: string): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, GRPC_PORT: String(port), GRPC_HOST: "127.0.0.1", STOCKHOLD_DATA_DIR: dataDir, LOG_LEVEL: "warn" };
  delete env.DATABASE_URL;
  return spawn("npm", ["start", "--silent"], { env, stdio: "inherit" });
}

async function waitServing(address: string): Promise<void> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const deadline = Date.now() + startupMsMax;
  try {
    while (Date.now() < deadline) {
      const serving = await new Promise<boolean>((resolve) => {
        client.makeUnaryRequest(
          "/grpc.health.v1.Health/Check", () => Buffer.alloc(0), (b: Buffer) => b, {},
          { deadline: Date.now() + 2_000 },
          (error, response) => resolve(!error && response !== undefined && response.equals(Buffer.from([8, 1]))),
        );
      });
      if (serving) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`server at ${address} not SERVING after ${startupMsMax} ms`);
  } finally {
    client.close();
  }
}

/** The server process under `npm start` (npm runs it through sh). */
function serverPid(npm: ChildProcess): number {
  const table = execFileSync("ps", ["-e", "-o", "pid=,ppid=,args="], { encoding: "utf8" });
  const rows = table.trim().split("\n").map((line) => {
    const [pid, ppid, ...args] = line.trim().split(/\s+/);
    return { pid: Number(pid), ppid: Number(ppid), args: args.join(" ") };
  });
  const descendants = new Set([npm.pid!]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const r of rows) if (descendants.has(r.ppid) && !descendants.has(r.pid)) descendants.add(r.pid), (changed = true);
  }
  const server = rows.find((r) => descendants.has(r.pid) && r.args.startsWith("node ") && r.args.includes("src/main.ts"));
  if (!server) throw new Error("no server process under npm start");
  return server.pid;
}

/** SIGTERM to the server, as a process manager sends it; npm then exits with its code. */
async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const pid = serverPid(child);
  process.kill(pid, "SIGTERM");
  const timer = setTimeout(() => {
    process.kill(pid, "SIGKILL");
    child.kill("SIGKILL");
  }, stopMsMax);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

async function onHandOf(address: string, sku: string): Promise<string> {
  const client = new InventoryServiceClient(address, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) =>
      client.getAvailability({ sku, warehouseId: "" }, (e, r) => (e ? reject(e) : resolve(r.availability!.onHand))));
  } finally {
    client.close();
  }
}

const dataDir = await mkdtemp(join(tmpdir(), "stockhold-smoke-"));
const port = await freePort();
const address = `127.0.0.1:${port}`;
let failed = false;
try {
  let server = start(port, dataDir);
  await waitServing(address);
  const examples = await runReadmeExamples(address);
  process.stdout.write(examples.stdout);
  if (examples.code !== 0) throw new Error(`README grpcurl examples failed (exit ${examples.code}):\n${examples.stderr}`);
  const code = await stop(server);
  if (code !== 0) throw new Error(`npm start exited ${code} on SIGTERM, expected 0`);

  server = start(port, dataDir);
  await waitServing(address);
  const onHand = await onHandOf(address, "TSHIRT-RED-M");
  const again = await stop(server);
  if (onHand !== "12") throw new Error(`after a restart TSHIRT-RED-M has on_hand ${onHand}, expected 12`);
  if (again !== 0) throw new Error(`npm start exited ${again} on the second SIGTERM`);
  console.log("smoke: npm start served the README examples, stopped cleanly, and kept its data across a restart");
} catch (error) {
  failed = true;
  console.error(`smoke FAILED: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
