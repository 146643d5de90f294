import { ListShardsCommand, type ListShardsCommandInput } from "@aws-sdk/client-kinesis";
import { describe, expect, it } from "vitest";
import { listShards } from "./shards.js";

/** Two pages of ListShards; records each request's input. */
function pagedClient() {
  const inputs: ListShardsCommandInput[] = [];
  return {
    inputs,
    async send(command: ListShardsCommand) {
      inputs.push(command.input);
      return command.input.NextToken === undefined
        ? { Shards: [{ ShardId: "shardId-0" }, { ShardId: "shardId-1" }], NextToken: "page-2" }
        : { Shards: [{ ShardId: "shardId-2" }] };
    },
  };
}

describe("listShards", () => {
  it("follows NextToken across pages, naming the stream only on the first request", async () => {
    const client = pagedClient();
    const shards = await listShards(client, "prices");
    expect(shards.map((s) => s.ShardId)).toEqual(["shardId-0", "shardId-1", "shardId-2"]);
    expect(client.inputs).toEqual([{ StreamName: "prices" }, { NextToken: "page-2" }]);
  });

  it("stops paging once its signal is aborted", async () => {
    const client = pagedClient();
    const abort = new AbortController();
    abort.abort();
    const shards = await listShards(client, "prices", abort.signal);
    expect(shards.map((s) => s.ShardId)).toEqual(["shardId-0", "shardId-1"]);
    expect(client.inputs).toHaveLength(1);
  });
});
