import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { acquireLock, readLock, runningOwner, type LockInfo } from "./lock.js";
import { readOutputs } from "./outputs.js";
import { isProcessAlive, processStart } from "./servers/processes.js";
import { startGuardedIdle } from "./testing/guarded.js";
import { scratchAfterEach } from "./testing/scratch.js";

/** A pid that no process has any more. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ["-e", ""]);
  return pid!;
}

describe("runtime lock", () => {
  const scratch = scratchAfterEach("tickstream-lock-");
  const dataDir = () => scratch.dir();
  const writeLock = (dir: string, lock: LockInfo) =>
    writeFile(join(dir, "runtime.lock"), JSON.stringify(lock));

  it("tells a live owner from a dead one, and from another process that got its pid", async () => {
    const dir = await dataDir();
    const startedAt = new Date().toISOString();
    await writeLock(dir, {
      pid: process.pid,
      pidStart: processStart(process.pid),
      startedAt,
      token: "t",
    });
    expect((await runningOwner(dir))?.pid).toBe(process.pid);

    await writeLock(dir, { pid: deadPid(), startedAt, token: "t" });
    expect(await runningOwner(dir)).toBeUndefined();

    // The pid is alive, but it is not the process that wrote the lock.
    if (processStart(process.pid) !== null) {
      await writeLock(dir, { pid: process.pid, pidStart: "1", startedAt, token: "t" });
      expect(await runningOwner(dir)).toBeUndefined();
    }
  });

  it("takes a process that has exited but not yet been reaped for gone", async () => {
    const child = spawn(process.execPath, ["-e", ""]);
    const pid = child.pid!;
    // Block this event loop so that the child is not waited for when it exits: a zombie.
    const until = Date.now() + 5_000;
    while (Date.now() < until) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      let state = "";
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]!;
      } catch {
        break; // no /proc, or already reaped
      }
      if (state === "Z") {
        expect(isProcessAlive(pid)).toBe(false);
        const dir = await dataDir();
        await writeLock(dir, {
          pid,
          pidStart: processStart(pid),
          startedAt: new Date().toISOString(),
          token: "t",
        });
        expect(await runningOwner(dir)).toBeUndefined();
        return;
      }
    }
  });

  it("refuses a directory a live runtime holds", async () => {
    const dir = await dataDir();
    const lock = await acquireLock(dir, "first");
    await expect(acquireLock(dir, "second")).rejects.toThrow(/already using/);
    await lock.release();
    expect(await readLock(dir)).toBeUndefined();
  });

  it("ignores outputs.json left by a runtime that is gone", async () => {
    const dir = await dataDir();
    const pid = deadPid();
    await writeLock(dir, { pid, startedAt: new Date().toISOString(), token: "t" });
    await writeFile(join(dir, "outputs.json"), JSON.stringify({ pid }));
    expect(await readOutputs(dir)).toBeUndefined();
  });

  it("takes over a stale lock after stopping what the dead runtime left running", async () => {
    const dir = await dataDir();
    const stale: LockInfo = { pid: deadPid(), startedAt: new Date().toISOString(), token: "old" };
    await writeLock(dir, stale);

    // A guard and its command, as a runtime starts them, whose runtime is this test process.
    const { pidFile, forkedPid, named } = await startGuardedIdle(dir, scratch.track);
    expect(named.guard.pid).toBe(forkedPid);
    expect(isProcessAlive(named.command.pid)).toBe(true);

    const lock = await acquireLock(dir, "new");
    expect(lock.previous).toEqual(stale);
    expect(lock.reaped.map((r) => r.pids)).toEqual([[named.guard.pid, named.command.pid]]);
    expect(isProcessAlive(named.guard.pid)).toBe(false);
    expect(isProcessAlive(named.command.pid)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);
    expect((await readLock(dir))?.token).toBe("new");
    await lock.release();
  });

  it.skipIf(processStart(process.pid) === null)(
    "leaves alone a process that merely has a recorded pid",
    async () => {
      const dir = await dataDir();
      const logs = join(dir, "logs");
      await mkdir(logs, { recursive: true });
      // This test process is alive but is neither a guard nor the recorded command.
      await writeFile(
        join(logs, "other.pid"),
        JSON.stringify({
          guard: { pid: process.pid, start: "1" },
          command: { pid: process.pid, start: "1", pgid: process.pid, line: "x" },
          owner: deadPid(),
        }),
      );
      const lock = await acquireLock(dir, "t");
      expect(lock.reaped).toEqual([]);
      expect(isProcessAlive(process.pid)).toBe(true);
      await lock.release();
    },
  );
});
