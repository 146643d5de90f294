import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock } from "./lock.js";
import { resetLocal } from "./reset.js";
import { isProcessAlive } from "./servers/processes.js";
import { startGuardedIdle } from "./testing/guarded.js";

describe("local:reset", () => {
  const dirs: string[] = [];
  const pids: number[] = [];
  afterEach(async () => {
    for (const pid of pids.splice(0)) if (isProcessAlive(pid)) process.kill(pid, "SIGKILL");
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it("refuses while a runtime holds the directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tickstream-reset-"));
    dirs.push(dir);
    const lock = await acquireLock(dir, "t");
    await expect(resetLocal(dir)).rejects.toThrow(/is using/);
    await lock.release();
    expect(await resetLocal(dir)).toBe("removed");
  });

  it("stops what a killed run left running before removing its directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tickstream-reset-"));
    dirs.push(dir);
    await writeFile(join(dir, "state.json"), "{}");
    const { forkedPid, named } = await startGuardedIdle(dir, (pid) => pids.push(pid));
    const command = named.command;

    expect(await resetLocal(dir)).toBe("removed");
    expect(existsSync(dir)).toBe(false);
    expect(isProcessAlive(forkedPid)).toBe(false);
    expect(isProcessAlive(command.pid)).toBe(false);
  });
});
