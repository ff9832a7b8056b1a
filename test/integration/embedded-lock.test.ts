// An embedded database folder is opened by one process at a time: PGlite has a single writer, and
// a tool run against the folder while the service had it open crashed PGlite. Against the real
// embedded database, in a temporary folder.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DataDirInUse } from "../../src/db/data-dir-lock.js";
import { startEmbeddedPostgres } from "../../src/db/embedded.js";

const folders: string[] = [];
async function newDataDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "stockhold-lock-"));
  folders.push(root);
  return join(root, "pgdata");
}
afterEach(async () => {
  for (const f of folders.splice(0)) await rm(f, { recursive: true, force: true });
});

describe("the embedded database folder's lock", () => {
  it("refuses a second opening of a folder in use, naming the process, and allows it once the first has stopped", { timeout: 60_000 }, async () => {
    const dataDir = await newDataDir();
    const first = await startEmbeddedPostgres({ dataDir });
    const second = startEmbeddedPostgres({ dataDir });
    await expect(second).rejects.toBeInstanceOf(DataDirInUse);
    await expect(second).rejects.toThrow(`in use by process ${process.pid}`);
    await first.stop();
    const again = await startEmbeddedPostgres({ dataDir });
    await again.stop();
  });

  it("takes over a lock left by a process that is gone", { timeout: 60_000 }, async () => {
    const dataDir = await newDataDir();
    const gone = spawnSync(process.execPath, ["-e", ""]).pid!;
    await writeFile(`${dataDir}.lock`, String(gone));
    const db = await startEmbeddedPostgres({ dataDir });
    expect(await readFile(`${dataDir}.lock`, "utf8")).toBe(String(process.pid));
    await db.stop();
    await expect(readFile(`${dataDir}.lock`, "utf8")).rejects.toThrow();
  });

  it("makes audit:verify --embedded exit 2 with a clear message while the folder is in use", { timeout: 60_000 }, async () => {
    const dataDir = await newDataDir();
    const open = await startEmbeddedPostgres({ dataDir });
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, STOCKHOLD_DATA_DIR: dataDir };
      delete env.DATABASE_URL;
      const run = spawnSync(process.execPath, ["--import", "tsx", "src/tools/audit-verify.ts", "--embedded"], { env, encoding: "utf8", timeout: 50_000 });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`the embedded database in ${dataDir} is in use by process ${process.pid}`);
    } finally {
      await open.stop();
    }
  });
});
