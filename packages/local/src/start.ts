/**
 * `npm start`: the whole product on this machine. See docs/local.md.
 */
import { readFileSync } from "node:fs";
import { basename, isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DEFAULT_PORTS,
  PORT_NAMES,
  PortInUseError,
  portEnvVar,
  portFlag,
  type PortMap,
  type PortName,
} from "./ports.js";
import { DEFAULT_DATA_DIR, dataLayout } from "./paths.js";
import { isProcessAlive } from "./servers/processes.js";
import type { LocalRuntime, StartLocalOptions } from "./runtime.js";
import type { WebMode } from "./web.js";

// The SDK's notice about Node versions of 2027 is noise in a terminal session.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export const USAGE = `Usage: npm start -- [options]

Runs Tickstream on this machine: local Kinesis, DynamoDB, S3 and Cognito servers, the consumers,
the archive delivery, the API, a tick generator and the dashboard. Ctrl-C stops everything.

Options:
  --no-web              do not start the dashboard (webUrl is null in outputs.json)
  --web-dev             run the dashboard with next dev (hot reload, for work on packages/web);
                        by default it is a production build, made again when packages/web changed
  --no-generator        do not generate ticks (put your own: npm run produce)
  --data-dir <dir>      where everything is kept (default .local; env TICKSTREAM_DATA_DIR)
${PORT_NAMES.map((n) => `  ${`${portFlag(n)} <port>`.padEnd(22)}${`${n} port (default ${DEFAULT_PORTS[n]}; env ${portEnvVar(n)})`}`).join("\n")}
  --auto-ports          pick free ports for everything
  -h, --help            show this help

When everything answers, <data-dir>/outputs.json holds the endpoints, names and the demo login.`;

export interface StartArgs {
  web: boolean;
  webMode: WebMode;
  generator: boolean;
  dataDir: string;
  ports: "auto" | Partial<PortMap>;
  help: boolean;
}

export class UsageError extends Error {}

function parsePort(value: string | undefined, what: string): number {
  const n = Number(value);
  if (!value || !Number.isInteger(n) || n < 1 || n > 65535)
    throw new UsageError(`${what} needs a port number (1-65535), got "${value ?? ""}"`);
  return n;
}

export function parseStartArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): StartArgs {
  const args: StartArgs = {
    web: true,
    webMode: "production",
    generator: true,
    dataDir: env.TICKSTREAM_DATA_DIR || DEFAULT_DATA_DIR,
    ports: {},
    help: false,
  };
  const ports: Partial<PortMap> = {};
  for (const name of PORT_NAMES) {
    const value = env[portEnvVar(name)];
    if (value) ports[name] = parsePort(value, portEnvVar(name));
  }
  let auto = false;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.indexOf("=");
    const flag = raw.startsWith("--") && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith("--") && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--"))
        throw new UsageError(`${flag} needs a value`);
      i += 1;
      return next;
    };
    const noValue = () => {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
    };
    if (flag === "--help" || flag === "-h") {
      noValue();
      args.help = true;
    } else if (flag === "--no-web") {
      noValue();
      args.web = false;
    } else if (flag === "--web-dev") {
      noValue();
      args.webMode = "dev";
    } else if (flag === "--no-generator") {
      noValue();
      args.generator = false;
    } else if (flag === "--auto-ports") {
      noValue();
      auto = true;
    } else if (flag === "--data-dir") {
      args.dataDir = value();
    } else if (
      flag.startsWith("--port-") &&
      (PORT_NAMES as readonly string[]).includes(flag.slice(7))
    ) {
      ports[flag.slice(7) as PortName] = parsePort(value(), flag);
    } else {
      throw new UsageError(`unknown option ${raw}`);
    }
  }
  args.ports = auto ? "auto" : ports;
  return args;
}

function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

function readyBanner(rt: LocalRuntime): string {
  const o = rt.outputs;
  const layout = dataLayout(o.dataDir);
  const lines = [
    "",
    "Tickstream is running locally.",
    ...(o.webUrl ? [`  Dashboard   ${o.webUrl}`] : []),
    `  API         ${o.apiUrl}`,
    `  Sign in     ${o.demoUser.username}  /  ${o.demoUser.password}`,
    `  Outputs     ${shortPath(layout.outputs)}  (endpoints, stream and table names for your own tools)`,
    `  Logs        ${shortPath(layout.logs)}/`,
    "Press Ctrl-C to stop.",
    "",
  ];
  return lines.join("\n");
}

/**
 * `npm start` runs `sh -c "node --import tsx …"` (and `npx tsx …` runs this file in a child
 * process of tsx). A SIGTERM sent to npm alone (a process manager, a test harness) ends npm and
 * the shell but not this process, which would leave the runtime orphaned and its ports taken. So the runtime watches the processes that
 * launched it, up to npm or npx, and stops when one of them is gone. (Ctrl-C in a terminal
 * reaches every process of the foreground group and needs none of this.)
 */
export function launcherChain(): number[] {
  const chain: number[] = [];
  if (process.platform !== "linux") return process.ppid > 1 ? [process.ppid] : chain;
  let pid = process.ppid;
  for (let depth = 0; depth < 4 && pid > 1; depth++) {
    let program: string;
    let ppid: number;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      // npm rewrites its process title ("npm start …"): the first word is the program.
      program = basename((argv[0] ?? "").split(" ")[0]!);
      if (program === "node") program = basename(argv[1] ?? "");
      ppid = Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
    } catch {
      break;
    }
    const launcher = /^(npm|npx)(-cli\.js)?$/.test(program);
    if (depth > 0 && !launcher && !/^(sh|dash|tsx|cli\.mjs)$/.test(program)) break;
    chain.push(pid);
    if (launcher) break;
    pid = ppid;
  }
  return chain;
}

function watchLauncher(onGone: () => void): void {
  const chain = launcherChain();
  if (chain.length === 0) return;
  const timer = setInterval(() => {
    if (chain.some((pid) => !isProcessAlive(pid))) {
      clearInterval(timer);
      onGone();
    }
  }, 1000);
  timer.unref();
}

/** Signals closer together than this are one and the same Ctrl-C. */
const SAME_SIGNAL_MS = 1000;

async function main(): Promise<number> {
  let args: StartArgs;
  try {
    args = parseStartArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }

  let rt: LocalRuntime | undefined;
  let stopping: Promise<void> | undefined;
  let firstSignalAt = 0;
  /** A signal stops everything; a second signal (or one while starting) leaves at once. */
  const shutdown = (signal: NodeJS.Signals, insist = true) => {
    if (stopping) {
      // One Ctrl-C can arrive twice: once from the terminal, and again relayed by a wrapper
      // (tsx's CLI passes it on when it has not seen this process take it within 30 ms). Only
      // a second press means "leave now".
      if (insist && Date.now() - firstSignalAt > SAME_SIGNAL_MS)
        process.exit(signal === "SIGINT" ? 130 : 143);
      return;
    }
    if (!rt) {
      // Still starting: child processes follow their guard out (it watches this process), the
      // in-process servers end with it, and the next start takes over the stale lock.
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    firstSignalAt = Date.now();
    console.log("\nStopping…");
    stopping = rt.stop().then(
      () => {
        console.log("Stopped.");
        process.exit(0);
      },
      (err) => {
        console.error(`error while stopping: ${err instanceof Error ? err.message : err}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  process.on("SIGHUP", shutdown);
  watchLauncher(() => {
    if (!stopping) console.log("\nThe command that started the runtime is gone.");
    shutdown("SIGTERM", false);
  });

  const { startLocal } = await import("./runtime.js");
  const options: StartLocalOptions = {
    dataDir: args.dataDir,
    ports: args.ports,
    web: args.web,
    webMode: args.webMode,
    generator: args.generator,
    onProgress: (m) => console.log(m),
  };
  try {
    rt = await startLocal(options);
  } catch (err) {
    if (err instanceof PortInUseError) console.error(`error: ${err.message}`);
    else
      console.error(`error: could not start: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  console.log(readyBanner(rt));
  return -1; // keep running
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
