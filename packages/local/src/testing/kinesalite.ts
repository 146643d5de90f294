import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KinesisClient } from "@aws-sdk/client-kinesis";
import { localKinesis, startKinesalite, type LocalServer } from "@tickstream/testkit/local-aws";
import { afterAll, beforeAll } from "vitest";

export interface KinesaliteForTests {
  /** A temporary directory, removed after the file's tests. */
  readonly dir: string;
  readonly server: LocalServer;
  readonly kinesis: KinesisClient;
}

/**
 * kinesalite (in memory), a client and a temporary directory for one test file: started before
 * its tests, stopped after them. The fields are set once the file's tests start.
 */
export function kinesaliteForTests(prefix: string): KinesaliteForTests {
  const local = {} as { dir: string; server: LocalServer; kinesis: KinesisClient };
  beforeAll(async () => {
    local.dir = await mkdtemp(join(tmpdir(), prefix));
    local.server = await startKinesalite();
    local.kinesis = localKinesis(local.server.endpoint);
  });
  afterAll(async () => {
    local.kinesis?.destroy();
    await local.server?.close();
    if (local.dir) await rm(local.dir, { recursive: true, force: true });
  });
  return local;
}
