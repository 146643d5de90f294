import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * Telling whether a process recorded earlier (in a lock or a pid file) still runs. A pid alone is
 * not enough after a crash: the system may have handed it to an unrelated process since. On Linux
 * the kernel's start time of the process tells them apart; elsewhere its command line does.
 */

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // A process that has exited but not yet been waited for (a zombie, until its new parent
  // reaps it) still answers signals.
  return processState(pid) !== "Z";
}

/** Field `index` of /proc/<pid>/stat counted after the command name (Linux), or null where unknown. */
function statField(pid: number, index: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may itself hold spaces and parentheses: count from its closing one.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[index] ?? null;
  } catch {
    return null;
  }
}

/** The process's state letter (Linux: R, S, D, Z, …), or null where unknown. */
function processState(pid: number): string | null {
  return statField(pid, 0);
}

/** The process's start time in clock ticks since boot (Linux), or null where unknown. */
export function processStart(pid: number): string | null {
  return statField(pid, 19);
}

/** The process's command line, or null if it is gone. */
export function processCommandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    // no /proc: ask ps
  }
  if (process.platform === "linux") return null;
  try {
    return (
      execFileSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8" }).trim() || null
    );
  } catch {
    return null;
  }
}

/**
 * True when `pid` runs and is the process that was recorded: same start time where the system
 * tells it, and a command line holding `marker` when one is given.
 */
export function isSameProcess(pid: number, start: string | null | undefined, marker?: string) {
  if (!Number.isInteger(pid) || pid <= 1 || !isProcessAlive(pid)) return false;
  const now = processStart(pid);
  if (start && now !== null && now !== start) return false;
  if (marker !== undefined) {
    const line = processCommandLine(pid);
    if (line !== null && !line.includes(marker)) return false;
  }
  return true;
}

/** Sends a signal to a process group (negative pid); false if the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** True while any process of the group is left. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
