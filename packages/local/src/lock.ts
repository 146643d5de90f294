import { readFileSync, rmSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { readJson, writeJsonAtomic } from "./files.js";
import { dataLayout } from "./paths.js";
import { isSameProcess, processStart } from "./servers/processes.js";
import { reapLeftovers, type Reaped } from "./servers/reap.js";

/**
 * One runtime per data directory: `<dataDir>/runtime.lock` names the owner. The file outlives
 * an owner that was killed (SIGKILL, the OOM killer, a power cut); such a lock is stale, and
 * the next start takes it over, after reaping what the dead owner left running. A stopped
 * runtime removes its lock, so a stale one also says "the last run did not stop cleanly".
 */
export interface LockInfo {
  pid: number;
  /** The owner's start time as the kernel counts it, so that a reused pid is not taken for it. */
  pidStart?: string | null;
  startedAt: string;
  /** Distinguishes two runtimes in one process (tests). */
  token: string;
}

export interface RuntimeLock {
  /** Removes the lock (if still ours). */
  release(): Promise<void>;
  /** The lock of a runtime that died without stopping, taken over by this one. */
  previous: LockInfo | undefined;
  /** Processes that runtime left and that were stopped before taking over. */
  reaped: Reaped[];
}

export async function readLock(dataDir: string): Promise<LockInfo | undefined> {
  try {
    return await readJson<LockInfo>(dataLayout(dataDir).lock);
  } catch {
    return undefined; // unreadable: treat as absent
  }
}

function isOwnerAlive(lock: LockInfo): boolean {
  return isSameProcess(lock.pid, lock.pidStart);
}

/** The lock's owner if a live runtime holds the data directory. */
export async function runningOwner(dataDir: string): Promise<LockInfo | undefined> {
  const lock = await readLock(dataDir);
  if (!lock) return undefined;
  return isOwnerAlive(lock) ? lock : undefined;
}

/** Data directories locked by this process (their outputs.json says "running"). */
const heldInThisProcess = new Map<string, string>();

/** outputs.json of every data directory this process runs a runtime on. */
export function heldOutputFiles(): string[] {
  return [...heldInThisProcess.keys()].map((lock) => dataLayout(dirname(lock)).outputs);
}

// Whatever way this process ends (process.exit, an uncaught error), outputs.json must not say
// it runs. The lock stays: the next start sees it is stale and knows the last run did not stop.
let exitHookInstalled = false;
function removeOutputsOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const file of heldOutputFiles()) {
      try {
        if ((JSON.parse(readFileSync(file, "utf8")) as { pid?: number }).pid === process.pid)
          rmSync(file, { force: true });
      } catch {
        // absent or unreadable
      }
    }
  });
}

export async function acquireLock(dataDir: string, token: string): Promise<RuntimeLock> {
  const layout = dataLayout(dataDir);
  const path = layout.lock;
  const current = await readLock(dataDir);
  const owner = current && isOwnerAlive(current) ? current : undefined;
  if (owner && (owner.pid !== process.pid || heldInThisProcess.has(path))) {
    throw new Error(
      `A local runtime (pid ${owner.pid}, started ${owner.startedAt}) is already using ${layout.root}. ` +
        "Stop it first, or use another --data-dir.",
    );
  }
  // Nobody owns the directory: anything still running from an earlier run is a leftover.
  const reaped = await reapLeftovers(layout.logs);
  await mkdir(dirname(path), { recursive: true });
  const info: LockInfo = {
    pid: process.pid,
    pidStart: processStart(process.pid),
    startedAt: new Date().toISOString(),
    token,
  };
  await writeJsonAtomic(path, info);
  heldInThisProcess.set(path, token);
  removeOutputsOnExit();
  return {
    previous: current && !owner ? current : undefined,
    reaped,
    release: async () => {
      heldInThisProcess.delete(path);
      const now = await readLock(dataDir);
      if (now?.token === token) await rm(path, { force: true });
    },
  };
}
