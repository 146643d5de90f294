import { kinesaliteOptions } from "@tickstream/testkit/local-aws";
import { startServerThread, type ThreadServer } from "./thread.js";

/**
 * kinesalite on a thread of its own, its streams kept in LevelDB under `path` (they survive
 * restarts). Options as the test servers' (testkit's kinesaliteOptions).
 */
export function startKinesisServer(options: { path: string; port: number }): Promise<ThreadServer> {
  return startServerThread({
    module: "kinesalite",
    serverOptions: kinesaliteOptions({ path: options.path }),
    path: options.path,
    port: options.port,
    portName: "kinesis",
  });
}
