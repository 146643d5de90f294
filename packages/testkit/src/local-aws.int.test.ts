import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { ListShardsCommand } from "@aws-sdk/client-kinesis";
import { localDynamo, localKinesis, startLocalAws, type LocalAws } from "./local-aws.js";
import { TABLES } from "@tickstream/core/resources";

describe("local AWS servers for tests", () => {
  let aws: LocalAws;
  beforeAll(async () => {
    aws = await startLocalAws({ pricesShards: 3 });
  });
  afterAll(async () => aws?.close());

  it("creates every table of the resource description with its keys", async () => {
    const ddb = localDynamo(aws.dynamo.endpoint);
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: aws.tables.panes }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: TABLES.panes.partitionKey.name, KeyType: "HASH" },
      { AttributeName: TABLES.panes.sortKey.name, KeyType: "RANGE" },
    ]);
    expect(Table?.AttributeDefinitions).toContainEqual({
      AttributeName: TABLES.panes.sortKey.name,
      AttributeType: ({ number: "N", string: "S" } as const)[TABLES.panes.sortKey.type],
    });
  });

  it("creates the prices stream with the asked shard count", async () => {
    const kin = localKinesis(aws.kinesis.endpoint);
    const { Shards } = await kin.send(new ListShardsCommand({ StreamName: aws.streams.prices }));
    expect(Shards).toHaveLength(3);
    expect(aws.env.SST_Table_tableName_Latest).toBe(aws.tables.latest);
  });
});
