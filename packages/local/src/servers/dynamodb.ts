import { mkdir } from "node:fs/promises";
import { dynaliteOptions } from "@tickstream/testkit/local-aws";
import { PortInUseError } from "../ports.js";
import { ServerThreadError, startServerThread, type ThreadServer } from "./thread.js";

/**
 * dynalite on a thread of its own, its tables kept in LevelDB under `path` (they survive
 * restarts). Options as the test servers' (testkit's dynaliteOptions).
 */
export async function startDynamoServer(options: {
  path: string;
  port: number;
}): Promise<ThreadServer> {
  await mkdir(options.path, { recursive: true });
  try {
    return await startServerThread({
      module: "dynalite",
      serverOptions: dynaliteOptions(options.path),
      port: options.port,
    });
  } catch (err) {
    if (err instanceof ServerThreadError && err.code === "EADDRINUSE")
      throw new PortInUseError("dynamodb", options.port);
    throw err;
  }
}
