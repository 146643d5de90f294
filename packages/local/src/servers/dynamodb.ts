import { dynaliteOptions } from "@tickstream/testkit/local-aws";
import { startServerThread, type ThreadServer } from "./thread.js";

/**
 * dynalite on a thread of its own, its tables kept in LevelDB under `path` (they survive
 * restarts). Options as the test servers' (testkit's dynaliteOptions).
 */
export function startDynamoServer(options: { path: string; port: number }): Promise<ThreadServer> {
  return startServerThread({
    module: "dynalite",
    serverOptions: dynaliteOptions(options.path),
    path: options.path,
    port: options.port,
    portName: "dynamodb",
  });
}
