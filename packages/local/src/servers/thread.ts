import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { LocalServer } from "@tickstream/testkit/local-aws";
import { PortInUseError, type PortName } from "../ports.js";

const SCRIPT = fileURLToPath(new URL("./thread-server.mjs", import.meta.url));

/** Why a server thread did not start (`code` as Node gives it, e.g. EADDRINUSE). */
class ServerThreadError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = "ServerThreadError";
  }
}

export interface ThreadServer extends LocalServer {
  /** The thread it runs on. */
  threadId: number;
}

interface ThreadOptions {
  module: "kinesalite" | "dynalite";
  serverOptions: Record<string, unknown>;
  port: number;
}

/**
 * Starts a local AWS server package (kinesalite, dynalite: `require(module)(options)` gives an
 * HTTP server) on a worker thread of this process, listening on 127.0.0.1:`port` (0 = any free
 * port), its data kept under `path` (created if missing). On the main thread they would share
 * one core with the consumers, the poller and the archive, and at a few thousand ticks/s that
 * core is full; on threads of their own they run on the others. The thread ends with the
 * process, so nothing is left running after a crash. A port in use is a PortInUseError naming
 * `portName`.
 */
export async function startServerThread(
  options: ThreadOptions & { path: string; portName: PortName },
): Promise<ThreadServer> {
  await mkdir(options.path, { recursive: true });
  try {
    return await spawnServerThread(options);
  } catch (err) {
    if (err instanceof ServerThreadError && err.code === "EADDRINUSE")
      throw new PortInUseError(options.portName, options.port);
    throw err;
  }
}

function spawnServerThread(options: ThreadOptions): Promise<ThreadServer> {
  const worker = new Worker(SCRIPT, {
    workerData: { module: options.module, options: options.serverOptions, port: options.port },
    // The script is plain JavaScript: no loader (tsx, vitest) is needed on the thread.
    execArgv: [],
  });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return new Promise<ThreadServer>((resolve, reject) => {
    const fail = (err: Error) => {
      void worker.terminate();
      reject(err);
    };
    worker.once("error", fail);
    const exitWhileStarting = (code: number) =>
      fail(
        new ServerThreadError(
          `${options.module} thread exited (${code}) while starting`,
          undefined,
        ),
      );
    worker.once("exit", exitWhileStarting);
    worker.once(
      "message",
      (message: { port?: number; error?: { code?: string; message: string } }) => {
        // Only this listener: `exited` below keeps its own, for close() of a thread that died.
        worker.off("exit", exitWhileStarting);
        if (message.error) {
          fail(
            new ServerThreadError(
              `${options.module}: ${message.error.message}`,
              message.error.code,
            ),
          );
          return;
        }
        const port = message.port!;
        let closed: Promise<void> | undefined;
        resolve({
          endpoint: `http://127.0.0.1:${port}`,
          port,
          threadId: worker.threadId,
          close: () => {
            closed ??= (async () => {
              const done = new Promise<void>((r) => {
                worker.on("message", (m) => m === "closed" && r());
                // Connections kept alive by clients may hold close() up: do not wait for ever.
                setTimeout(r, 2000).unref();
              });
              worker.postMessage("close");
              await Promise.race([done, exited]);
              await worker.terminate();
            })();
            return closed;
          },
        });
      },
    );
  });
}
