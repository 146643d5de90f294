import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { waitUntil } from "../timing.js";
import { groupAlive, isProcessAlive, isSameProcess, signalGroup } from "./processes.js";

/**
 * What a runtime that died without stopping may have left running: the guards of its child
 * processes (guard.mjs) and their commands, named by the pid files the guards write. A guard
 * normally follows its runtime out within a second; this is for when the guard was killed too,
 * or has not finished yet when the next start comes.
 */

interface PidFile {
  guard: { pid: number; start: string | null };
  command: { pid: number; start: string | null; pgid: number; line: string };
  owner: number;
}

export interface Reaped {
  file: string;
  pids: number[];
}

const GRACE_MS = 5_000;

async function readPidFile(path: string): Promise<PidFile | undefined> {
  try {
    const value = JSON.parse(await readFile(path, "utf8")) as PidFile;
    if (!Number.isInteger(value.guard?.pid) || !Number.isInteger(value.command?.pid))
      return undefined;
    return value;
  } catch {
    return undefined;
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone in the meantime
  }
}

/** Whether `check` comes to hold within `ms`. */
function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  return waitUntil(check, "leftover processes to exit", ms).then(
    () => true,
    () => false,
  );
}

/**
 * Stops every process named by a `*.pid` file in `dir` that still runs (SIGTERM, then SIGKILL
 * after a grace period) and removes the files. Call it only when no runtime owns the data
 * directory. Resolves once they are gone, so that their ports are free.
 */
export async function reapLeftovers(dir: string): Promise<Reaped[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".pid"));
  } catch {
    return [];
  }
  const reaped: Reaped[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const entry = await readPidFile(path);
    if (entry) {
      const { guard, command } = entry;
      const guardOurs = isSameProcess(guard.pid, guard.start, "guard.mjs");
      const commandOurs = isSameProcess(command.pid, command.start, command.line?.split(" ")[0]);
      // The command leads its own group; a live guard or command proves the group is ours.
      const pgid = command.pgid || command.pid;
      if (guardOurs || commandOurs) {
        if (guardOurs) kill(guard.pid, "SIGTERM");
        signalGroup(pgid, "SIGTERM");
        const gone = () => !isProcessAlive(guard.pid) || !guardOurs;
        const finished = await waitFor(() => gone() && !groupAlive(pgid), GRACE_MS);
        if (!finished) {
          if (guardOurs && isSameProcess(guard.pid, guard.start)) kill(guard.pid, "SIGKILL");
          signalGroup(pgid, "SIGKILL");
          await waitFor(() => gone() && !groupAlive(pgid), GRACE_MS);
        }
        reaped.push({ file: path, pids: [guard.pid, command.pid] });
      }
    }
    await rm(path, { force: true });
  }
  return reaped;
}
