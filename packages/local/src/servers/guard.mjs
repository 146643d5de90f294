// Runs one command in a process group of its own and takes that whole group down with it: when
// the local runtime stops it (SIGTERM, SIGINT, "stop" over IPC) and also when the runtime dies
// without a word (the IPC channel closes, or this process is handed to another parent).
//
// The runtime starts this guard in a process group of its own too, so that a SIGKILL sent to the
// runtime's group (a closed terminal, `kill -9 -- -<pgid>`) spares it and it can still clean up.
// While it runs, a pid file names the guard and the command, so that a later start can reap them
// should the guard itself have been killed.
//
// Usage: node guard.mjs [--pid-file <file>] [--owner-file <file>]... -- <command> [args...]
//   --pid-file    written once the command runs, removed when the guard exits
//   --owner-file  a JSON file with the runtime's `pid` (outputs.json): removed if the runtime dies
/* global setTimeout, setInterval, clearInterval */
import { spawn } from "node:child_process";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";

const argv = process.argv.slice(2);
let pidFile;
const ownerFiles = [];
while (argv[0]?.startsWith("--")) {
  const flag = argv.shift();
  if (flag === "--") break;
  const value = argv.shift();
  if (!value) {
    console.error(`guard.mjs: ${flag} needs a value`);
    process.exit(2);
  }
  if (flag === "--pid-file") pidFile = value;
  else if (flag === "--owner-file") ownerFiles.push(value);
  else {
    console.error(`guard.mjs: unknown option ${flag}`);
    process.exit(2);
  }
}
const [command, ...args] = argv;
if (!command) {
  console.error(
    "usage: guard.mjs [--pid-file <file>] [--owner-file <file>]... -- <command> [args...]",
  );
  process.exit(2);
}

/** The runtime that started this guard. */
const owner = process.ppid;

/** Start time of a process as the kernel counts it (Linux), to tell it from a later namesake. */
function startOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

const child = spawn(command, args, { stdio: "inherit", detached: true, env: process.env });
let stopping = false;

if (pidFile && child.pid) {
  const tmp = `${pidFile}.${process.pid}.tmp`;
  writeFileSync(
    tmp,
    JSON.stringify({
      guard: { pid: process.pid, start: startOf(process.pid) },
      command: {
        pid: child.pid,
        start: startOf(child.pid),
        pgid: child.pid,
        line: [command, ...args].join(" "),
      },
      owner,
    }),
  );
  renameSync(tmp, pidFile);
}

process.on("exit", () => {
  if (!pidFile) return;
  try {
    if (JSON.parse(readFileSync(pidFile, "utf8")).guard?.pid === process.pid) rmSync(pidFile);
  } catch {
    // absent or not ours
  }
});

function killGroup(signal) {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function stop() {
  if (stopping) return;
  stopping = true;
  killGroup("SIGTERM");
  setTimeout(() => {
    killGroup("SIGKILL");
    process.exit(0);
  }, 3000).unref();
}

/** The runtime died without stopping us: what it wrote to say it runs is no longer true. */
function ownerGone() {
  for (const file of ownerFiles) {
    try {
      if (JSON.parse(readFileSync(file, "utf8")).pid === owner) rmSync(file);
    } catch {
      // absent, unreadable or another runtime's
    }
  }
  stop();
}

child.on("exit", (code, signal) => {
  // Sweep up anything the command left behind in its group.
  killGroup("SIGKILL");
  process.exit(stopping ? 0 : (code ?? (signal ? 1 : 0)));
});
child.on("error", (err) => {
  console.error(`cannot start ${command}: ${err.message}`);
  process.exit(127);
});

process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.on("SIGHUP", stop);
process.on("disconnect", ownerGone);
process.on("message", (msg) => {
  if (msg === "stop") stop();
});
// Belt and braces for a runtime started without an IPC channel: a dead parent means a new one.
const watch = setInterval(() => {
  if (process.ppid !== owner) {
    clearInterval(watch);
    ownerGone();
  }
}, 500);
watch.unref();
