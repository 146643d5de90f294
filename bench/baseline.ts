import { UpdateItemCommand, type AttributeValue, type DynamoDBClient, type UpdateItemCommandInput } from "@aws-sdk/client-dynamodb";
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";

/**
 * The baseline every benchmark compares against: the consumer of the original serverless
 * realtime-analytics sample, written the same way in TypeScript. It decodes each record with
 * split('|') then split('='), skips every field of three characters or fewer (so `l=7` is
 * lost, while `l=15` is kept), turns prices into floating-point units, and writes ONE
 * DynamoDB UpdateItem per record (SET every field), one record after another, keyed by the
 * instrument alone. It has no window aggregation and no ordering guard.
 */

export type SeedItem = Record<string, string | number>;

/** The sample's `extract_data`: fields longer than 3 characters only. */
export function seedParse(text: string): SeedItem {
  const item: SeedItem = {};
  const fields = text.split("|");
  for (const field of fields) {
    if (field.length > 3) {
      const nameValue = field.split("=");
      const name = nameValue[0] as string;
      const value = nameValue[1] as string;
      if (name.startsWith("price_")) item[name] = Number.parseInt(value, 10) / 100;
      else if (name === "instrument" || name === "reception") item[name] = Number.parseInt(value, 10);
      else if (name === "sequence") item.seq = Number.parseInt(value, 10);
      else if (name === "type") item.t = Number.parseInt(value, 10);
      else if (name === "level") item.l = Number.parseInt(value, 10);
      else item[name] = value;
    }
  }
  return item;
}

/** Record data as the sample cleaned it: newlines and quotes removed. */
export function seedRecordText(record: KinesisStreamRecord): string {
  return Buffer.from(record.kinesis.data, "base64").toString("utf8").replace(/\n/g, "").replace(/'/g, "").replace(/"/g, "");
}

/** The sample's `create_expression_values`, building the UpdateItem for one record. */
export function seedUpdateInput(tableName: string, parsed: SeedItem): UpdateItemCommandInput {
  const { instrument, ...rest } = parsed;
  let expression = "SET ";
  const values: Record<string, AttributeValue> = {};
  const names: Record<string, string> = {};
  for (const name of Object.keys(rest)) {
    // The sample wrote `name = :name`; attribute names are aliased here only because DynamoDB
    // reserves some of the sample's names (`session`), which the real service rejects.
    expression += `#${name} = :${name}, `;
    names[`#${name}`] = name;
    const v = rest[name] as string | number;
    values[`:${name}`] = typeof v === "string" ? { S: v } : { N: String(v) };
  }
  return {
    TableName: tableName,
    Key: { instrument: { N: String(instrument) } },
    UpdateExpression: expression.slice(0, -2),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * In-process part of the baseline consumer: one write request per record. JSON stock trades,
 * which the sample did not read, are taken through JSON.parse the same straightforward way.
 */
export function seedWrites(tableName: string, records: readonly KinesisStreamRecord[]): UpdateItemCommandInput[] {
  const out: UpdateItemCommandInput[] = [];
  for (const record of records) {
    const text = seedRecordText(record);
    let parsed: SeedItem;
    if (text.startsWith("{")) {
      // Quotes were stripped above, as in the sample; decode the original bytes instead.
      const j = JSON.parse(Buffer.from(record.kinesis.data, "base64").toString("utf8")) as Record<string, unknown>;
      parsed = { instrument: String(j.TICKER), seq: Date.parse(`${String(j.EVENT_TIME).slice(0, 23)}Z`), price_0: Number(j.PRICE) };
    } else {
      parsed = seedParse(text);
    }
    if (parsed.instrument === undefined) continue;
    out.push(seedUpdateInput(tableName, parsed));
  }
  return out;
}

/** The baseline consumer: one UpdateItem per record, sent one after another. */
export function seedHandler(ddb: DynamoDBClient, tableName: string) {
  return async (event: KinesisStreamEvent): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> => {
    for (const input of seedWrites(tableName, event.Records)) {
      await ddb.send(new UpdateItemCommand(input));
    }
    return { batchItemFailures: [] };
  };
}

/** Table the baseline writes: partition key `instrument` (N), as in the sample. */
export function seedTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST" as const,
    AttributeDefinitions: [{ AttributeName: "instrument", AttributeType: "N" as const }],
    KeySchema: [{ AttributeName: "instrument", KeyType: "HASH" as const }],
  };
}
