import { join } from "node:path";
import { readJson, writeJsonAtomic } from "../files.js";

/**
 * Where a reader of a stream has got to, per shard: the sequence number of the last record it
 * has fully dealt with. Kept as one small JSON file per (reader, stream, shard), replaced
 * atomically, so that a restart resumes right after it: nothing is skipped, and at most the
 * batch in flight at a crash is read again.
 */
export interface Checkpoint {
  /** Absent for a shard that ended before anything was read from it. */
  sequenceNumber?: string;
  updatedAt: string;
  /**
   * The shard was closed (resharding) and everything in it has been dealt with: its children
   * may be read, and it need not be read again.
   */
  finished?: boolean;
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

  async isFinished(shardId: string): Promise<boolean> {
    return (await readJson<Checkpoint>(this.path(shardId)))?.finished === true;
  }

  /** Records that a closed shard has been read to its end and dealt with. */
  async finish(shardId: string, sequenceNumber: string | undefined): Promise<void> {
    await writeJsonAtomic(this.path(shardId), {
      ...(sequenceNumber ? { sequenceNumber } : {}),
      updatedAt: new Date().toISOString(),
      finished: true,
    } satisfies Checkpoint);
  }
}

/** Compares Kinesis sequence numbers (decimal strings of up to 128 bits). */
export function compareSequence(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
