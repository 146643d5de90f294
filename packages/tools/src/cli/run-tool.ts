import { spawn } from "node:child_process";
import { resolve } from "node:path";

/** For the tools' tests: a command-line tool run as `npm run <tool> -- …` would run it. */

export const ROOT = resolve(import.meta.dirname, "../../../..");
const tsx = resolve(ROOT, "node_modules/.bin/tsx");

export type Tool = "produce" | "consume";

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Starts a tool through tsx with its output piped (in `cwd`, the repository root by default). */
export function spawnTool(tool: Tool, args: string[], cwd = ROOT) {
  return spawn(tsx, [resolve(ROOT, `packages/tools/src/cli/${tool}.ts`), ...args], {
    cwd,
    env: { ...process.env, NODE_NO_WARNINGS: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs a tool to its end, killing it after `timeoutMs`: its exit status and output. */
export function runTool(
  tool: Tool,
  args: string[],
  { cwd = ROOT, timeoutMs = 60_000 }: { cwd?: string; timeoutMs?: number } = {},
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
  });
}
