// One process at a time on an embedded database folder. PGlite has a single writer and no lock of
// its own: a second process opening the same folder (a tool run while the service is up, or a
// second `npm start`) can crash it or corrupt the data. The lock is a file beside the folder
// holding the owner's pid; one left by a process that is gone (kill -9) is taken over.
import { open, readFile, rm } from "node:fs/promises";

export class DataDirInUse extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(`the embedded database in ${dataDir} is in use by process ${pid} (the service?); stop it first`);
    this.name = "DataDirInUse";
  }
}

export interface DataDirLock { release(): Promise<void> }

const lockPathOf = (dataDir: string) => `${dataDir.replace(/\/+$/, "")}.lock`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the folder's lock, or throws DataDirInUse naming the live process that holds it. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = lockPathOf(dataDir);
  // Twice at most: once more after taking over a stale lock.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return { release: () => rm(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number((await readFile(path, "utf8").catch(() => "")).trim());
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) throw new DataDirInUse(dataDir, holder);
      await rm(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}`);
}
