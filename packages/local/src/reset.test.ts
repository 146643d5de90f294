import { fork } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock } from "./lock.js";
import { resetLocal } from "./reset.js";
import { isProcessAlive } from "./servers/processes.js";
import { waitUntil } from "./timing.js";

const GUARD = fileURLToPath(new URL("./servers/guard.mjs", import.meta.url));

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
    const logs = join(dir, "logs");
    await mkdir(logs, { recursive: true });
    await writeFile(join(dir, "state.json"), "{}");
    const pidFile = join(logs, "worker.pid");
    const guard = fork(
      GUARD,
      ["--pid-file", pidFile, "--", process.execPath, "-e", "setInterval(() => {}, 1000)"],
      { detached: true, stdio: "ignore" },
    );
    pids.push(guard.pid!);
    await waitUntil(() => existsSync(pidFile), "the guard's pid file", 10_000);
    const { command } = JSON.parse(readFileSync(pidFile, "utf8")) as { command: { pid: number } };
    pids.push(command.pid);

    expect(await resetLocal(dir)).toBe("removed");
    expect(existsSync(dir)).toBe(false);
    expect(isProcessAlive(guard.pid!)).toBe(false);
    expect(isProcessAlive(command.pid)).toBe(false);
  });
});
