import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocal, type LocalRuntime, type StartLocalOptions } from "../runtime.js";

/** A fresh data directory for one test's runtime. */
export function tempDataDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `tickstream-${name}-`));
}

/**
 * A runtime as the tests want it: no web app, no generator, no console output, free ports
 * unless the test names them (a restart takes the ports of the run before).
 */
export function startTestRuntime(
  dataDir: string,
  options: Omit<StartLocalOptions, "dataDir"> = {},
): Promise<LocalRuntime> {
  return startLocal({
    ports: "auto",
    web: false,
    generator: false,
    quiet: true,
    ...options,
    dataDir,
  });
}
