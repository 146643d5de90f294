// Runs one command in its own process group and takes the whole group down with it: when the
// local runtime stops it (SIGTERM, SIGINT, "stop" over IPC) and also when the runtime dies
// without a word (the IPC channel closes). Usage: node guard.mjs <command> [args...]
/* global setTimeout */
import { spawn } from "node:child_process";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: guard.mjs <command> [args...]");
  process.exit(2);
}

const child = spawn(command, args, { stdio: "inherit", detached: true, env: process.env });
let stopping = false;

function killGroup(signal) {
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
process.on("disconnect", stop);
process.on("message", (msg) => {
  if (msg === "stop") stop();
});
