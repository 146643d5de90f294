import { mkdir } from "node:fs/promises";
import { kinesaliteOptions } from "@tickstream/testkit/local-aws";
import { PortInUseError } from "../ports.js";
import { ServerThreadError, startServerThread, type ThreadServer } from "./thread.js";

/**
 * kinesalite on a thread of its own, its streams kept in LevelDB under `path` (they survive
 * restarts). Options as the test servers' (testkit's kinesaliteOptions).
 */
export async function startKinesisServer(options: {
  path: string;
  port: number;
}): Promise<ThreadServer> {
  await mkdir(options.path, { recursive: true });
  try {
    return await startServerThread({
      module: "kinesalite",
      serverOptions: kinesaliteOptions({ path: options.path }),
      port: options.port,
    });
  } catch (err) {
    if (err instanceof ServerThreadError && err.code === "EADDRINUSE")
      throw new PortInUseError("kinesis", options.port);
    throw err;
  }
}
