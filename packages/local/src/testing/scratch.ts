import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { isProcessAlive } from "../servers/processes.js";

/**
 * What a test file's tests leave behind: after each test, passed or failed, the processes it
 * tracked are killed and the directories it made are removed.
 */
export function scratchAfterEach(prefix: string) {
  const dirs: string[] = [];
  const pids: number[] = [];
  afterEach(async () => {
    for (const pid of pids.splice(0)) if (isProcessAlive(pid)) process.kill(pid, "SIGKILL");
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  return {
    /** A new empty directory under the system's temporary one, named `<prefix>…`. */
    async dir(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    /** Kills `pid` after the test (startGuardedIdle's `track`). */
    track(pid: number): void {
      pids.push(pid);
    },
  };
}
