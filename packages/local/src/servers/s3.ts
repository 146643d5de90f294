import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Server } from "node:http";
import type { LocalServer } from "@tickstream/testkit/local-aws";
import { PortInUseError } from "../ports.js";

const require = createRequire(import.meta.url);

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

interface AccountModule {
  registry: Map<string, unknown>;
  DUMMY_ACCOUNT: unknown;
}

/**
 * s3rver keeps a registry of access keys and refuses every key but its own `S3RVER`. The local
 * runtime promises that any dummy key works (as it does for kinesalite and dynalite), so the
 * registry is replaced by one that answers every key with s3rver's built-in account. s3rver
 * does not verify SigV4 signatures at all, so nothing else stands in the way.
 */
function acceptAnyAccessKey(): void {
  const accounts = require("s3rver/lib/models/account.js") as AccountModule;
  if ((accounts.registry as { anyKey?: boolean }).anyKey) return;
  const fallback = accounts.DUMMY_ACCOUNT;
  class AnyKeyRegistry extends Map<string, unknown> {
    readonly anyKey = true;
    override get(key: string): unknown {
      return super.get(key) ?? fallback;
    }
    override has(): boolean {
      return true;
    }
  }
  accounts.registry = new AnyKeyRegistry(accounts.registry);
}

/** s3rver in this process, objects stored as files under `path` (they survive restarts). */
export async function startS3Server(options: { path: string; port: number }): Promise<LocalServer> {
  await mkdir(options.path, { recursive: true });
  acceptAnyAccessKey();
  const S3rver = require("s3rver") as S3rverClass;
  const server = new S3rver({
    address: "127.0.0.1",
    port: options.port,
    directory: options.path,
    silent: true,
    allowMismatchedSignatures: true,
    vhostBuckets: false,
  });
  let address: { port: number };
  try {
    address = await server.run();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new PortInUseError("s3", options.port);
    throw err;
  }
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    close: async () => {
      server.httpServer?.closeAllConnections?.();
      await server.close();
    },
  };
}
