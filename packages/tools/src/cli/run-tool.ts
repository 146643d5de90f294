import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "@tickstream/local/paths";

/** For the tools' tests: a command-line tool run as `npm run <tool> -- …` would run it. */

/** tsx's loader by its own URL, so that a tool started in another directory finds it. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export type Tool = "produce" | "consume";

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts a tool with its output piped (in `cwd`, the repository root by default), as
 * package.json's scripts do: node with tsx's loader, no tsx wrapper process in between (the
 * wrapper relays signals, and on a busy machine may end the tool before it drains).
 */
export function spawnTool(tool: Tool, args: string[], cwd = REPO_ROOT) {
  return spawn(process.execPath, ["--import", TSX, resolve(REPO_ROOT, `packages/tools/src/cli/${tool}.ts`), ...args], {
    cwd,
    env: { ...process.env, NODE_NO_WARNINGS: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs a tool to its end, killing it after `timeoutMs`: its exit status and output. */
export function runTool(
  tool: Tool,
  args: string[],
  {
    cwd = REPO_ROOT,
    timeoutMs = 60_000,
    onSpawn,
  }: { cwd?: string; timeoutMs?: number; onSpawn?: (child: ReturnType<typeof spawnTool>) => void } = {},
): Promise<ToolRun> {
  return new Promise((done, fail) => {
    const child = spawnTool(tool, args, cwd);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", fail);
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
    onSpawn?.(child);
  });
}
