import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { localDynamo, startDynalite, type LocalServer } from "@tickstream/testkit/local-aws";
import { ensureTable } from "@tickstream/testkit/provision";
import { documentClient } from "../../aws.js";
import { TABLES } from "../../resources.js";

export interface LatestTable {
  doc: DynamoDBDocumentClient;
  tableName: string;
}

/**
 * A dynalite server for one test file, started before its tests and closed after them. Each
 * `fresh()` creates an empty Latest table, so that tests and property runs do not see each other.
 */
export function latestTablesOnDynalite(): { fresh(): Promise<LatestTable> } {
  let dynamo: LocalServer | undefined;
  let doc: DynamoDBDocumentClient | undefined;
  beforeAll(async () => {
    dynamo = await startDynalite();
    doc = documentClient(localDynamo(dynamo.endpoint));
  });
  afterAll(async () => {
    doc?.destroy();
    await dynamo?.close();
  });
  return {
    async fresh() {
      if (!dynamo || !doc) throw new Error("dynalite is not running: call fresh() inside a test");
      const tableName = `latest-${randomUUID().slice(0, 8)}`;
      await ensureTable(localDynamo(dynamo.endpoint), TABLES.latest, tableName);
      return { doc, tableName };
    },
  };
}
