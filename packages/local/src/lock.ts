import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { readJson } from "./files.js";
import { dataLayout } from "./paths.js";

/**
 * One runtime per data directory: `<dataDir>/runtime.lock` holds the owner's pid. A lock left by
 * a process that no longer exists is stale and is taken over.
 */
export interface LockInfo {
  pid: number;
  startedAt: string;
  /** Distinguishes two runtimes in one process (tests). */
  token: string;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function readLock(dataDir: string): Promise<LockInfo | undefined> {
  try {
    return await readJson<LockInfo>(dataLayout(dataDir).lock);
  } catch {
    return undefined; // unreadable: treat as absent
  }
}

/** The lock's owner if a live runtime holds the data directory. */
export async function runningOwner(dataDir: string): Promise<LockInfo | undefined> {
  const lock = await readLock(dataDir);
  if (!lock) return undefined;
  return isProcessAlive(lock.pid) ? lock : undefined;
}

const heldInThisProcess = new Set<string>();

export async function acquireLock(dataDir: string, token: string): Promise<() => Promise<void>> {
  const path = dataLayout(dataDir).lock;
  const owner = await runningOwner(dataDir);
  if (owner && (owner.pid !== process.pid || heldInThisProcess.has(path))) {
    throw new Error(
      `A local runtime (pid ${owner.pid}, started ${owner.startedAt}) is already using ${dataLayout(dataDir).root}. ` +
        "Stop it first, or use another --data-dir.",
    );
  }
  await mkdir(dirname(path), { recursive: true });
  const info: LockInfo = { pid: process.pid, startedAt: new Date().toISOString(), token };
  await writeFile(path, JSON.stringify(info));
  heldInThisProcess.add(path);
  return async () => {
    heldInThisProcess.delete(path);
    const current = await readLock(dataDir);
    if (current?.token === token) await rm(path, { force: true });
  };
}
