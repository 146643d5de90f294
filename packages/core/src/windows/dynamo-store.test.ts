import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { DynamoWindowStore } from "./dynamo-store.js";

const tables = { panes: "panes", windows: "windows", state: "state" };

/** A server that refuses every update without returning the item, and stores `fence`. */
function refusingDoc(fence: number | undefined): DynamoDBDocumentClient {
  return {
    send: async (command: unknown) => {
      if (command instanceof UpdateCommand) throw new ConditionalCheckFailedException({ message: "refused", $metadata: {} });
      if (command instanceof GetCommand) return { Item: fence === undefined ? { hw: "9" } : { hw: "9", fence } };
      throw new Error("unexpected command");
    },
  } as unknown as DynamoDBDocumentClient;
}

describe("DynamoWindowStore answers", () => {
  it("a refused pane write is told fenced or changed by reading the item when the server does not return it", async () => {
    const item = { paneStart: 0, bucket: 0, shardId: "s", hw: "10", entries: new Map() };
    expect(await new DynamoWindowStore({ doc: refusingDoc(500), tables, retentionHours: 1 }).writeShardPane(item, "8", 499)).toEqual({ kind: "fenced", fence: 500 });
    expect(await new DynamoWindowStore({ doc: refusingDoc(400), tables, retentionHours: 1 }).writeShardPane(item, "8", 499)).toEqual({ kind: "conflict" });
    expect(await new DynamoWindowStore({ doc: refusingDoc(undefined), tables, retentionHours: 1 }).writeShardPane(item, "8", 0)).toEqual({ kind: "conflict" });
  });
});
