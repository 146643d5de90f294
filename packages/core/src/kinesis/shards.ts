import { ListShardsCommand, type ListShardsCommandOutput, type Shard } from "@aws-sdk/client-kinesis";

/** What `listShards` needs of a Kinesis client (a test double can stand in). */
export interface ListShardsClient {
  send(command: ListShardsCommand, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/**
 * Every shard of a stream, open and closed, from every page of ListShards (a page holds at most
 * 1,000 shards; after resharding a stream lists its closed parents too).
 */
export async function listShards(kinesis: ListShardsClient, streamName: string, abortSignal?: AbortSignal): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const out = (await kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: streamName }), abortSignal ? { abortSignal } : undefined)) as ListShardsCommandOutput;
    shards.push(...(out.Shards ?? []));
    token = out.NextToken;
  } while (token && !abortSignal?.aborted);
  return shards;
}
