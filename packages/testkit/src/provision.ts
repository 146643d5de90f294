import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException as StreamInUseException,
  type KinesisClient,
} from "@aws-sdk/client-kinesis";
import { TABLES, bindingEnv, type TableSpec } from "@tickstream/core/resources";

/**
 * Creates resources from the shared description for runtimes that have no CloudFormation:
 * the local runtime and the integration tests. Idempotent: existing resources are kept.
 */

export type TableKey = keyof typeof TABLES;
export type TableNames = Record<TableKey, string>;

const attributeType = { string: "S", number: "N" } as const;

export function createTableInput(spec: TableSpec, tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: spec.partitionKey.name, AttributeType: attributeType[spec.partitionKey.type] },
      { AttributeName: spec.sortKey.name, AttributeType: attributeType[spec.sortKey.type] },
    ],
    KeySchema: [
      { AttributeName: spec.partitionKey.name, KeyType: "HASH" },
      { AttributeName: spec.sortKey.name, KeyType: "RANGE" },
    ],
  };
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function ensureTable(ddb: DynamoDBClient, spec: TableSpec, tableName: string): Promise<void> {
  try {
    await ddb.send(new CreateTableCommand(createTableInput(spec, tableName)));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  await waitFor(async () => {
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus === "ACTIVE";
  }, `table ${tableName}`);
  if (spec.ttl) {
    // dynalite accepts the call but does not expire items; AWS does.
    await ddb
      .send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: spec.ttl, Enabled: true },
        }),
      )
      .catch(() => undefined);
  }
}

export async function ensureTables(ddb: DynamoDBClient, names: TableNames): Promise<void> {
  await Promise.all(
    (Object.keys(TABLES) as TableKey[]).map((key) => ensureTable(ddb, TABLES[key], names[key])),
  );
}

export async function ensureStream(kinesis: KinesisClient, streamName: string, shardCount: number): Promise<void> {
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  } catch (err) {
    if (!(err instanceof StreamInUseException)) throw err;
  }
  await waitStreamActive(kinesis, streamName);
}

/** Waits until the stream is ACTIVE (after a create, a split or a merge). */
export async function waitStreamActive(kinesis: KinesisClient, streamName: string, timeoutMs?: number): Promise<void> {
  await waitFor(
    async () => {
      const { StreamDescriptionSummary } = await kinesis.send(
        new DescribeStreamSummaryCommand({ StreamName: streamName }),
      );
      return StreamDescriptionSummary?.StreamStatus === "ACTIVE";
    },
    `stream ${streamName}`,
    timeoutMs,
  );
}

/** Environment variable through which `sst/node` hands a bound table's name to a handler. */
export function tableBindingEnv(key: TableKey): string {
  return bindingEnv(TABLES[key]);
}
