import { join } from "node:path";
import { readJson, writeJsonAtomic } from "../files.js";

/**
 * Where a reader of a stream has got to, per shard: the sequence number of the last record it
 * has fully dealt with. Kept as one small JSON file per (reader, stream, shard), replaced
 * atomically, so that a restart resumes right after it: nothing is skipped, and at most the
 * batch in flight at a crash is read again.
 */
export interface Checkpoint {
  sequenceNumber: string;
  updatedAt: string;
}

export class CheckpointStore {
  constructor(
    private readonly dir: string,
    readonly readerId: string,
    readonly streamName: string,
  ) {}

  path(shardId: string): string {
    return join(this.dir, this.readerId, this.streamName, `${shardId}.json`);
  }

  async get(shardId: string): Promise<string | undefined> {
    return (await readJson<Checkpoint>(this.path(shardId)))?.sequenceNumber;
  }

  async set(shardId: string, sequenceNumber: string): Promise<void> {
    await writeJsonAtomic(this.path(shardId), {
      sequenceNumber,
      updatedAt: new Date().toISOString(),
    } satisfies Checkpoint);
  }
}

/** Compares Kinesis sequence numbers (decimal strings of up to 128 bits). */
export function compareSequence(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
