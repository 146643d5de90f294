/**
 * `npm run local:reset`: deletes the local runtime's data directory (streams, tables, archive,
 * users, checkpoints). Refuses while a runtime is using it.
 */
import { existsSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { basename, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { runningOwner } from "./lock.js";
import { DEFAULT_DATA_DIR, REPO_ROOT, dataLayout } from "./paths.js";
import { reapLeftovers } from "./servers/reap.js";

const USAGE = `Usage: npm run local:reset -- [--data-dir <dir>]

Deletes everything the local runtime keeps (default .local; env TICKSTREAM_DATA_DIR).
Stop the runtime first (Ctrl-C in its terminal).`;

export async function resetLocal(dataDir = DEFAULT_DATA_DIR): Promise<"removed" | "absent"> {
  const dir = resolve(dataDir);
  const owner = await runningOwner(dir);
  if (owner) {
    throw new Error(
      `A local runtime (pid ${owner.pid}) is using ${dir}: stop it first (Ctrl-C in its terminal).`,
    );
  }
  if (!existsSync(dir)) return "absent";
  // Never delete something that is not a data directory (a mistyped --data-dir).
  if (REPO_ROOT.startsWith(`${dir}${sep}`) || resolve(REPO_ROOT) === dir) {
    throw new Error(`${dir} holds the repository: not a data directory.`);
  }
  const entries = await readdir(dir);
  const known = new Set(Object.values(dataLayout(dir)).map((p) => basename(p)));
  if (entries.length > 0 && !entries.some((e) => known.has(e))) {
    throw new Error(`${dir} does not look like a local runtime data directory; not removing it.`);
  }
  // A run that was killed may have left a child process working in the directory.
  await reapLeftovers(dataLayout(dir).logs);
  await rm(dir, { recursive: true, force: true });
  return "removed";
}

async function main(argv: string[]): Promise<number> {
  let dataDir = process.env.TICKSTREAM_DATA_DIR || DEFAULT_DATA_DIR;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      return 0;
    } else if (arg === "--data-dir" && argv[i + 1] && !argv[i + 1]!.startsWith("--")) {
      dataDir = argv[++i]!;
    } else if (arg.startsWith("--data-dir=") && arg.length > 11) {
      dataDir = arg.slice(11);
    } else {
      console.error(`error: unknown option ${arg}\n\n${USAGE}`);
      return 2;
    }
  }
  try {
    const result = await resetLocal(dataDir);
    console.log(
      result === "removed"
        ? `Removed ${resolve(dataDir)}.`
        : `Nothing to remove: ${resolve(dataDir)} does not exist.`,
    );
    return 0;
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
