import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { TABLES, STREAMS, bindingEnv } from "@tickstream/core/resources";
import { ensureStream, ensureTables, tableBindingEnv, type TableKey, type TableNames } from "./provision.js";

/**
 * Real local AWS servers for integration tests: dynalite (DynamoDB) and kinesalite (Kinesis)
 * in this process, in memory unless a path is given, on free ports.
 */

const require = createRequire(import.meta.url);

export interface LocalServer {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

function listen(server: Server, port = 0): Promise<LocalServer> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        endpoint: `http://127.0.0.1:${bound}`,
        port: bound,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}

/** dynalite's options, for the tests' servers and the local runtime's: no simulated delays. */
export function dynaliteOptions(path?: string) {
  return { path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };
}

/** kinesalite's options, for the tests' servers and the local runtime's: no simulated delays. */
export function kinesaliteOptions(options: { path?: string; shardLimit?: number } = {}) {
  return {
    path: options.path,
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: options.shardLimit ?? 100,
  };
}

export function startDynalite(options: { path?: string; port?: number } = {}): Promise<LocalServer> {
  const dynalite = require("dynalite") as (o: object) => Server;
  return listen(dynalite(dynaliteOptions(options.path)), options.port);
}

export function startKinesalite(options: { path?: string; port?: number; shardLimit?: number } = {}): Promise<LocalServer> {
  const kinesalite = require("kinesalite") as (o: object) => Server;
  return listen(kinesalite(kinesaliteOptions(options)), options.port);
}

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const region = "us-east-1";

export function localDynamo(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials });
}

export function localKinesis(endpoint: string): KinesisClient {
  return new KinesisClient({ endpoint, region, credentials, requestHandler: new NodeHttpHandler() });
}

export interface LocalAws {
  dynamo: LocalServer;
  kinesis: LocalServer;
  tables: TableNames;
  streams: { prices: string; windows: string };
  /** The environment a handler needs to run against these servers (see docs/architecture.md). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts both servers, creates uniquely named tables and streams from the resource description
 * and returns the handler environment. `applyEnv` copies it into process.env, which must happen
 * before a handler module (and so `sst/node`) is first imported.
 */
export async function startLocalAws(options: { applyEnv?: boolean; pricesShards?: number } = {}): Promise<LocalAws> {
  const [dynamo, kinesis] = await Promise.all([startDynalite(), startKinesalite()]);
  const suffix = randomUUID().slice(0, 8);
  const tables = Object.fromEntries(
    (Object.keys(TABLES) as TableKey[]).map((k) => [k, `${TABLES[k].localName}-${suffix}`]),
  ) as TableNames;
  const streams = {
    prices: `${STREAMS.prices.localName}-${suffix}`,
    windows: `${STREAMS.windows.localName}-${suffix}`,
  };
  const ddb = localDynamo(dynamo.endpoint);
  const kin = localKinesis(kinesis.endpoint);
  await ensureTables(ddb, tables);
  await ensureStream(kin, streams.prices, options.pricesShards ?? STREAMS.prices.localShards);
  await ensureStream(kin, streams.windows, STREAMS.windows.localShards);
  ddb.destroy();
  kin.destroy();

  const env: Record<string, string> = {
    SST_APP: "tickstream",
    SST_STAGE: "test",
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint,
    [bindingEnv(STREAMS.windows)]: streams.windows,
    [bindingEnv(STREAMS.prices)]: streams.prices,
    POWERTOOLS_METRICS_NAMESPACE: "Tickstream",
    POWERTOOLS_SERVICE_NAME: "tickstream",
  };
  for (const key of Object.keys(TABLES) as TableKey[]) env[tableBindingEnv(key)] = tables[key];
  if (options.applyEnv) Object.assign(process.env, env);

  return {
    dynamo,
    kinesis,
    tables,
    streams,
    env,
    close: async () => {
      await Promise.all([dynamo.close(), kinesis.close()]);
    },
  };
}

