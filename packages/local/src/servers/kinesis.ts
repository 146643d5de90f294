import { mkdir } from "node:fs/promises";
import { startKinesalite, type LocalServer } from "@tickstream/testkit/local-aws";
import { PortInUseError } from "../ports.js";

/** kinesalite in this process, its streams kept in LevelDB under `path` (they survive restarts). */
export async function startKinesisServer(options: {
  path: string;
  port: number;
}): Promise<LocalServer> {
  await mkdir(options.path, { recursive: true });
  try {
    return await startKinesalite({ path: options.path, port: options.port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new PortInUseError("kinesis", options.port);
    throw err;
  }
}
