import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { threadId } from "node:worker_threads";
import { ListStreamsCommand } from "@aws-sdk/client-kinesis";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { localDynamo, localKinesis } from "@tickstream/testkit/local-aws";
import { ensureStream } from "@tickstream/testkit/provision";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PortInUseError } from "../ports.js";
import { startDynamoServer } from "./dynamodb.js";
import { startKinesisServer } from "./kinesis.js";

describe("the local Kinesis and DynamoDB servers on threads of their own", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tickstream-server-thread-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("serves Kinesis from another thread, and keeps the streams across a restart on the same path", async () => {
    const path = join(dir, "kinesis");
    const first = await startKinesisServer({ path, port: 0 });
    expect(first.threadId).not.toBe(threadId);
    const kinesis = localKinesis(first.endpoint);
    try {
      await ensureStream(kinesis, "kept", 1);
    } finally {
      kinesis.destroy();
      await first.close();
    }
    const second = await startKinesisServer({ path, port: 0 });
    const again = localKinesis(second.endpoint);
    try {
      expect((await again.send(new ListStreamsCommand({}))).StreamNames).toEqual(["kept"]);
    } finally {
      again.destroy();
      await second.close();
    }
  });

  it("serves DynamoDB the same way", async () => {
    const server = await startDynamoServer({ path: join(dir, "dynamodb"), port: 0 });
    expect(server.threadId).not.toBe(threadId);
    const ddb = localDynamo(server.endpoint);
    try {
      expect((await ddb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    } finally {
      ddb.destroy();
      await server.close();
    }
  });

  it("says which port is taken when it cannot listen", async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", () => r()));
    const port = (holder.address() as { port: number }).port;
    try {
      await expect(startKinesisServer({ path: join(dir, "busy"), port })).rejects.toThrow(
        PortInUseError,
      );
      await expect(startDynamoServer({ path: join(dir, "busy-ddb"), port })).rejects.toThrow(
        PortInUseError,
      );
    } finally {
      holder.close();
    }
  });
});
