import { describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand, BatchWriteItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { HttpResponse, type HttpRequest } from "@smithy/protocol-http";
import { RequestCounter, attributeValueSize, itemSize, wcuForSize, writeCost } from "./counting.js";

/** A DynamoDB client whose "server" is a function: no network, no emulator. */
function fakeClient(answer: (target: string, body: Record<string, unknown>) => { status?: number; body: unknown }) {
  const seen: Record<string, unknown>[] = [];
  const client = new DynamoDBClient({
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
    maxAttempts: 1,
    requestHandler: {
      handle: async (req: HttpRequest) => {
        const target = String(req.headers["x-amz-target"]).split(".")[1] ?? "";
        const raw = req.body instanceof Uint8Array ? Buffer.from(req.body).toString("utf8") : String(req.body);
        const body = JSON.parse(raw) as Record<string, unknown>;
        seen.push(body);
        const a = answer(target, body);
        const status = a.status ?? 200;
        return {
          response: new HttpResponse({
            statusCode: status,
            headers: { "content-type": "application/x-amz-json-1.0", ...(status >= 400 ? { "x-amzn-errortype": String((a.body as { __type: string }).__type) } : {}) },
            body: Readable.from([Buffer.from(JSON.stringify(a.body))]),
          }),
        };
      },
    },
  });
  return { client, seen };
}

describe("request counting middleware", () => {
  it("sizes items by DynamoDB's rules", () => {
    expect(attributeValueSize({ S: "héllo" })).toBe(6);
    expect(attributeValueSize({ N: "12345" })).toBe(4); // 5 digits -> 3 bytes + 1
    expect(attributeValueSize({ BOOL: true })).toBe(1);
    expect(itemSize({ pk: { S: "abc" }, n: { N: "1" } })).toBe(2 + 3 + 1 + 2);
    expect(wcuForSize(0)).toBe(1);
    expect(wcuForSize(1024)).toBe(1);
    expect(wcuForSize(1025)).toBe(2);
  });

  it("computes write units from request payloads", () => {
    const big = { pk: { S: "k" }, blob: { S: "x".repeat(2100) } };
    expect(writeCost("PutItemCommand", { Item: big })).toEqual({ items: 1, wcu: 3 });
    expect(writeCost("BatchWriteItemCommand", { RequestItems: { t: [{ PutRequest: { Item: big } }, { PutRequest: { Item: { pk: { S: "a" } } } }, { DeleteRequest: { Key: { pk: { S: "b" } } } }] } })).toEqual({ items: 3, wcu: 5 });
    expect(writeCost("UpdateItemCommand", { Key: { pk: { S: "k" } }, ExpressionAttributeValues: { ":v": { N: "1" } } })).toEqual({ items: 1, wcu: 1 });
    expect(writeCost("GetItemCommand", {})).toEqual({ items: 0, wcu: 0 });
  });

  it("counts commands, asks for consumed capacity and adds up what is returned", async () => {
    const { client, seen } = fakeClient((target, body) => {
      if (target === "GetItem") return { body: { Item: { pk: { S: "a" } }, ConsumedCapacity: { TableName: "t", CapacityUnits: 0.5 } } };
      if (target === "BatchWriteItem") return { body: { UnprocessedItems: {}, ConsumedCapacity: [{ TableName: "t", CapacityUnits: 2 }] } };
      if (target === "UpdateItem") return { status: 400, body: { __type: "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", message: "no" } };
      return { body: body.ReturnConsumedCapacity === "TOTAL" ? { ConsumedCapacity: { TableName: "t", CapacityUnits: 1 } } : {} };
    });
    const counter = new RequestCounter();
    counter.attach(client);
    const doc = DynamoDBDocumentClient.from(client);
    await client.send(new PutItemCommand({ TableName: "t", Item: { pk: { S: "a" } } }));
    await doc.send(new PutCommand({ TableName: "t", Item: { pk: "b", n: 1 } }));
    await client.send(new GetItemCommand({ TableName: "t", Key: { pk: { S: "a" } } }));
    await client.send(new BatchWriteItemCommand({ RequestItems: { t: [{ PutRequest: { Item: { pk: { S: "c" } } } }, { PutRequest: { Item: { pk: { S: "d" } } } }] } }));
    await expect(client.send(new UpdateItemCommand({ TableName: "t", Key: { pk: { S: "a" } }, UpdateExpression: "SET n = :n", ExpressionAttributeValues: { ":n": { N: "2" } } }))).rejects.toThrow();

    const c = counter.snapshot();
    expect(c.requests).toBe(5);
    expect(c.byCommand).toEqual({ PutItemCommand: 2, GetItemCommand: 1, BatchWriteItemCommand: 1, UpdateItemCommand: 1 });
    expect(c.writeRequests).toBe(4);
    expect(c.readRequests).toBe(1);
    expect(c.itemsWritten).toBe(5);
    expect(c.errors).toEqual({ ConditionalCheckFailedException: 1 });
    expect(c.wcuReported).toBe(1 + 1 + 2);
    expect(c.wcuReportedRequests).toBe(3);
    expect(c.wcuComputed).toBe(5);
    expect(c.rcuReported).toBe(0.5);
    // Reads and writes were sent asking for their consumed capacity; the caller's input was not changed.
    expect(seen.filter((b) => b.ReturnConsumedCapacity === "TOTAL")).toHaveLength(5);
    counter.reset();
    expect(counter.snapshot().requests).toBe(0);
  });

  it("can attach itself to clients a module builds on its own", async () => {
    const counter = new RequestCounter();
    const undo = counter.attachToAllClients();
    try {
      const { client } = fakeClient(() => ({ body: {} }));
      await DynamoDBDocumentClient.from(client).send(new PutCommand({ TableName: "t", Item: { pk: "x" } }));
      await client.send(new PutItemCommand({ TableName: "t", Item: { pk: { S: "a" } } }));
    } finally {
      undo();
    }
    expect(counter.snapshot().byCommand).toEqual({ PutItemCommand: 2 });
    const { client } = fakeClient(() => ({ body: {} }));
    await client.send(new PutItemCommand({ TableName: "t", Item: { pk: { S: "a" } } }));
    expect(counter.snapshot().requests).toBe(2);
  });
});
