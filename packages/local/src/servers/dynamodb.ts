import { mkdir } from "node:fs/promises";
import { PortInUseError } from "../ports.js";
import { ServerThreadError, startServerThread, type ThreadServer } from "./thread.js";

/**
 * dynalite on a thread of its own, its tables kept in LevelDB under `path` (they survive
 * restarts). Options as the test servers' (testkit's startDynalite).
 */
export async function startDynamoServer(options: {
  path: string;
  port: number;
}): Promise<ThreadServer> {
  await mkdir(options.path, { recursive: true });
  try {
    return await startServerThread({
      module: "dynalite",
      serverOptions: { path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 },
      port: options.port,
    });
  } catch (err) {
    if (err instanceof ServerThreadError && err.code === "EADDRINUSE")
      throw new PortInUseError("dynamodb", options.port);
    throw err;
  }
}
