import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { acquireLock } from "./lock.js";
import { resetLocal } from "./reset.js";
import { isProcessAlive } from "./servers/processes.js";
import { startGuardedIdle } from "./testing/guarded.js";
import { scratchAfterEach } from "./testing/scratch.js";

describe("local:reset", () => {
  const scratch = scratchAfterEach("tickstream-reset-");

  it("refuses while a runtime holds the directory", async () => {
    const dir = await scratch.dir();
    const lock = await acquireLock(dir, "t");
    await expect(resetLocal(dir)).rejects.toThrow(/is using/);
    await lock.release();
    expect(await resetLocal(dir)).toBe("removed");
  });

  it("stops what a killed run left running before removing its directory", async () => {
    const dir = await scratch.dir();
    await writeFile(join(dir, "state.json"), "{}");
    const { forkedPid, named } = await startGuardedIdle(dir, scratch.track);
    const command = named.command;

    expect(await resetLocal(dir)).toBe("removed");
    expect(existsSync(dir)).toBe(false);
    expect(isProcessAlive(forkedPid)).toBe(false);
    expect(isProcessAlive(command.pid)).toBe(false);
  });
});
