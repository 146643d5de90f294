import { mkdir } from "node:fs/promises";
import { startDynalite, type LocalServer } from "@tickstream/testkit/local-aws";
import { PortInUseError } from "../ports.js";

/** dynalite in this process, its tables kept in LevelDB under `path` (they survive restarts). */
export async function startDynamoServer(options: {
  path: string;
  port: number;
}): Promise<LocalServer> {
  await mkdir(options.path, { recursive: true });
  try {
    return await startDynalite({ path: options.path, port: options.port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new PortInUseError("dynamodb", options.port);
    throw err;
  }
}
