import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { DynamoWindowStore } from "./dynamo-store.js";
import { StoreConflictError } from "./errors.js";

const tables = { panes: "panes", windows: "windows", state: "state" };

/** A client whose conditional put is refused as existing while the item cannot be read. */
function contradictingDoc(): DynamoDBDocumentClient {
  return {
    send: async (command: unknown) => {
      if (command instanceof PutCommand) throw new ConditionalCheckFailedException({ message: "exists", $metadata: {} });
      if (command instanceof GetCommand) return {};
      throw new Error("unexpected command");
    },
  } as unknown as DynamoDBDocumentClient;
}

describe("DynamoWindowStore answers", () => {
  it("a final result refused as stored but not readable is a store conflict, not a silent loss", async () => {
    const store = new DynamoWindowStore({ doc: contradictingDoc(), tables, retentionHours: 1 });
    const put = store.putFinal({ instrument: "a", windowStart: 0, windowEnd: 60, maxCents: 5 });
    await expect(put).rejects.toBeInstanceOf(StoreConflictError);
    await expect(put).rejects.toThrow(/window a@0/);
  });
});
