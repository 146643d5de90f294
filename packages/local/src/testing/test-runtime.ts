import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PortMap } from "../ports.js";
import { startLocal, type LocalRuntime, type StartLocalOptions } from "../runtime.js";
import { portsOf } from "./scenario.js";

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

/**
 * A runtime that a test stops and starts again on the same data directory, taking the ports of
 * its first run again. `dispose` (for afterAll) stops what runs and removes the directory.
 */
export class RestartableRuntime {
  private dir: string | undefined;
  private current: LocalRuntime | undefined;
  private ports: "auto" | Partial<PortMap> = "auto";

  constructor(
    private readonly name: string,
    private readonly options: Omit<StartLocalOptions, "dataDir" | "ports">,
  ) {}

  async start(): Promise<LocalRuntime> {
    this.dir ??= await tempDataDir(this.name);
    this.current = await startTestRuntime(this.dir, { ...this.options, ports: this.ports });
    this.ports = portsOf(this.current.outputs);
    return this.current;
  }

  async stop(): Promise<void> {
    const running = this.current;
    this.current = undefined;
    await running?.stop();
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
