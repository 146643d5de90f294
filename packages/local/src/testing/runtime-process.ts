import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalOutputs } from "../outputs.js";
import { REPO_ROOT } from "../paths.js";
import type { PortMap } from "../ports.js";

/**
 * `npm start` as a user runs it, in a process group of its own (as a terminal job is), so that a
 * test can signal the whole group: SIGKILL for a closed terminal or the OOM killer, SIGINT for
 * Ctrl-C.
 */
export interface RuntimeProcess {
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves once the output holds `text`; rejects if the process exits first. */
  waitFor(text: string, timeoutMs: number): Promise<void>;
  /**
   * Sends a signal to the whole group; resolves once npm has exited and every process that
   * holds its output (the runtime) is gone.
   */
  signalGroup(signal: NodeJS.Signals): Promise<void>;
  exited: Promise<number | null>;
}

/** The environment of a process a user starts: without the test runner's variables. */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env))
    if (key.startsWith("VITEST") || key === "NODE_ENV" || key === "NODE_OPTIONS") delete env[key];
  return { ...env, ...extra };
}

export function startRuntimeProcess(args: string[], env: NodeJS.ProcessEnv): RuntimeProcess {
  const child = spawn("npm", ["start", "--", ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let text = "";
  child.stdout!.on("data", (d) => (text += d));
  child.stderr!.on("data", (d) => (text += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const closed = new Promise<void>((resolve) => child.stdout!.once("close", () => resolve()));
  return {
    child,
    output: () => text,
    exited,
    async waitFor(wanted, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!text.includes(wanted)) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`npm start exited (${child.exitCode ?? child.signalCode}):\n${text}`);
        if (Date.now() > deadline)
          throw new Error(`no "${wanted}" within ${timeoutMs} ms:\n${text}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async signalGroup(signal) {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
      await Promise.all([exited, closed]);
    },
  };
}

export function readOutputsFile(dataDir: string): LocalOutputs {
  return JSON.parse(readFileSync(join(dataDir, "outputs.json"), "utf8")) as LocalOutputs;
}

/** Flags that start the runtime on exactly these ports. */
export function portFlags(ports: Partial<PortMap>): string[] {
  return Object.entries(ports).flatMap(([name, port]) => [`--port-${name}`, String(port)]);
}
