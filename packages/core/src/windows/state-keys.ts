import { KeyTimeOutOfRangeError } from "./errors.js";

/**
 * Keys of the State table (pk = kind, sk = key, both strings) owned by the window consumer.
 *
 * | pk          | sk                        | attributes                                   |
 * | ----------- | ------------------------- | -------------------------------------------- |
 * | `watermark` | `global`                  | watermark, target, emittedThrough, epoch, lastActivityAt, resumedAt |
 * | `shard`     | shard id                  | maxEventTime, pendingMax, lastBatchAt, firstSeenAt, reservation |
 * | `emit`      | `<windowEnd:16>#<bucket>` | owner, leaseUntil, emittedAt, left, expiresAt |
 *
 * windowEnd is zero-padded to 16 digits so that string order is time order.
 */
export const STATE_KINDS = {
  watermark: "watermark",
  shard: "shard",
  emit: "emit",
} as const;

export const GLOBAL_KEY = "global";

const WIDTH = 16;

export function padTime(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= 10 ** WIDTH) throw new KeyTimeOutOfRangeError(ms);
  return String(ms).padStart(WIDTH, "0");
}

/** Sort key of an emit claim: the result item's window end and bucket. */
export function claimSortKey(windowEnd: number, bucket: number): string {
  return `${padTime(windowEnd)}#${bucket}`;
}

/** The claim a sort key names (inverse of claimSortKey). */
export function parseClaimSortKey(sk: string): { windowEnd: number; bucket: number } {
  const [end, bucket] = sk.split("#");
  return { windowEnd: Number(end), bucket: Number(bucket) };
}

/** Sort key of a pane item in the Panes table: the pane, then the shard. */
export function paneSortKey(paneStart: number, shardId: string): string {
  return `${padTime(paneStart)}#${shardId}`;
}

/**
 * Bounds (inclusive) of the pane sort keys of panes [fromPane, toPane]: a bare padded time sorts
 * before its keys, and "$" sorts after "#".
 */
export function paneSortKeyRange(fromPane: number, toPane: number): { lower: string; upper: string } {
  return { lower: padTime(fromPane), upper: `${padTime(toPane)}$` };
}

/** The pane and shard a pane sort key names. */
export function parsePaneSortKey(sk: string): { paneStart: number; shardId: string } {
  const i = sk.indexOf("#");
  return { paneStart: Number(sk.slice(0, i)), shardId: sk.slice(i + 1) };
}
