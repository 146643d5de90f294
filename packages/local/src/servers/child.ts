import { fork, type ChildProcess } from "node:child_process";
import { openSync, closeSync, readFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { heldOutputFiles } from "../lock.js";

const GUARD = fileURLToPath(new URL("./guard.mjs", import.meta.url));

export interface ChildOptions {
  /** Short name for messages ("cognito-local", "dashboard"). */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Output of the child goes here (appended). */
  logFile: string;
  /** Resolves true once the child answers. */
  ready: () => Promise<boolean>;
  readyTimeoutMs: number;
  /**
   * Names the guard and the command while they run, so that a start after a crash can reap
   * them (reap.ts). Default: the log file's name with `.pid`.
   */
  pidFile?: string;
}

export interface SupervisedChild {
  pid: number;
  logFile: string;
  stop(): Promise<void>;
  /** Resolves when the child exits for any reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** Environment for a child: without the loaders of the parent (tsx, vitest). */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  delete env.VITEST;
  delete env.VITEST_WORKER_ID;
  delete env.VITEST_POOL_ID;
  return env;
}

/** `logs/cognito.log` -> `logs/cognito.pid`. */
export function pidFileOf(logFile: string): string {
  return `${logFile.replace(/\.log$/, "")}.pid`;
}

/**
 * Starts a child process under guard.mjs, which keeps it in a process group of its own and kills
 * that group when this process stops it or dies. The guard runs in a group of its own as well,
 * so that a SIGKILL of this process's group (a closed terminal, the OOM killer's `kill -9` of a
 * whole job) does not take the guard down before it has done that. Resolves once `ready`
 * answers true.
 */
export async function startChild(options: ChildOptions): Promise<SupervisedChild> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, "a");
  let guard: ChildProcess;
  try {
    const guardArgs = [
      "--pid-file",
      options.pidFile ?? pidFileOf(options.logFile),
      // outputs.json says "running": the guard removes it should this process die.
      ...heldOutputFiles().flatMap((file) => ["--owner-file", file]),
      "--",
    ];
    guard = fork(GUARD, [...guardArgs, options.command, ...options.args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", fd, fd, "ipc"],
      execArgv: [],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  let exitedState: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    guard.once("exit", (code, signal) => {
      exitedState = { code, signal };
      resolve(exitedState);
    });
  });

  const stop = async () => {
    if (exitedState) return;
    if (guard.connected) guard.send("stop");
    else guard.kill("SIGTERM");
    const timer = setTimeout(() => guard.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + options.readyTimeoutMs;
  while (true) {
    if (exitedState) {
      throw new Error(
        `${options.name} exited (code ${exitedState.code ?? exitedState.signal}) while starting; ` +
          `its output (${options.logFile}):\n${tail(options.logFile)}`,
      );
    }
    if (await options.ready().catch(() => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `${options.name} did not answer within ${Math.round(options.readyTimeoutMs / 1000)} s; ` +
          `its output (${options.logFile}):\n${tail(options.logFile)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { pid: guard.pid!, logFile: options.logFile, stop, exited };
}

/** True once an HTTP GET of the URL gets any answer. */
export async function answersHttp(url: string, timeoutMs = 2000): Promise<boolean> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  try {
    const res = await fetch(url, { signal: ctrl.signal, redirect: "manual" });
    await res.arrayBuffer().catch(() => undefined);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
