import { fork } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitUntil } from "../timing.js";

const GUARD = fileURLToPath(new URL("../servers/guard.mjs", import.meta.url));

/**
 * An idle command under the guard, as a runtime starts its servers, whose runtime is the
 * calling process: `<dataDir>/logs/worker.pid` names both. Each pid goes to `track` as soon as
 * it is known, so that the test can kill it whatever happens next.
 */
export async function startGuardedIdle(dataDir: string, track: (pid: number) => void) {
  const logs = join(dataDir, "logs");
  await mkdir(logs, { recursive: true });
  const pidFile = join(logs, "worker.pid");
  const guard = fork(
    GUARD,
    ["--pid-file", pidFile, "--", process.execPath, "-e", "setInterval(() => {}, 1000)"],
    { detached: true, stdio: "ignore" },
  );
  track(guard.pid!);
  await waitUntil(() => existsSync(pidFile), "the guard's pid file", 10_000);
  const named = JSON.parse(readFileSync(pidFile, "utf8")) as {
    guard: { pid: number };
    command: { pid: number };
  };
  track(named.command.pid);
  return { pidFile, forkedPid: guard.pid!, named };
}
