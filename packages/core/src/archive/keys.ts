/**
 * The archive bucket's key layout, in one place: the stacks (Firehose prefixes, lifecycle
 * rules, grants), the dead-letter writer, the local archive delivery and on-failure
 * destination, and replay all build or read keys from here.
 *
 *   raw/YYYY/MM/DD/HH/<delivery stream>-1-YYYY-MM-DD-HH-MM-SS-<random>.gz   every record
 *   errors/<error type>/YYYY/MM/DD/HH/...                                  failed deliveries
 *   dead-letters/YYYY/MM/DD/<shardId>-<firstSequenceNumber>.jsonl          bad records
 *   failed-batches/<function>/<shardId>/YYYY/MM/DD/<time>-<uuid>.json       discarded batches
 *
 * Every date is the UTC arrival date of the records, as Firehose's `!{timestamp}` uses.
 */

export const ARCHIVE_PREFIXES = {
  raw: "raw/",
  errors: "errors/",
  deadLetters: "dead-letters/",
  failedBatches: "failed-batches/",
} as const;

/** Firehose's `raw/` prefix expression: arrival hour in UTC (what `hourPrefix` computes). */
export const FIREHOSE_RAW_PREFIX = `${ARCHIVE_PREFIXES.raw}!{timestamp:yyyy/MM/dd/HH}/`;
/** Firehose's `errors/` prefix expression: failure type, then arrival hour. */
export const FIREHOSE_ERROR_PREFIX = `${ARCHIVE_PREFIXES.errors}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/`;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `YYYY/MM/DD/` of a time, in UTC. */
export function dayPrefix(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getUTCFullYear(), 4)}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/`;
}

/** `YYYY/MM/DD/HH/` of a time, in UTC. */
export function hourPrefix(epochMs: number): string {
  return `${dayPrefix(epochMs)}${pad(new Date(epochMs).getUTCHours())}/`;
}

/** `YYYY-MM-DD-HH-MM-SS` of a time, in UTC. */
export function timestampPart(epochMs: number): string {
  const d = new Date(epochMs);
  return [
    d.getUTCFullYear(),
    pad(d.getUTCMonth() + 1),
    pad(d.getUTCDate()),
    pad(d.getUTCHours()),
    pad(d.getUTCMinutes()),
    pad(d.getUTCSeconds()),
  ].join("-");
}

/**
 * Firehose names objects `<delivery stream>-<version>-YYYY-MM-DD-HH-MM-SS-<random>` under the
 * prefix followed by the UTC hour; with GZIP compression the name ends in `.gz`.
 */
export function archiveObjectKey(
  prefix: string,
  deliveryStream: string,
  epochMs: number,
  random: string,
): string {
  return `${prefix}${hourPrefix(epochMs)}${deliveryStream}-1-${timestampPart(epochMs)}-${random}.gz`;
}

/** `dead-letters/YYYY/MM/DD/` of an arrival time (epoch ms). */
export function deadLetterPrefix(arrivalTime: number): string {
  return `${ARCHIVE_PREFIXES.deadLetters}${dayPrefix(arrivalTime)}`;
}

/** One dead-letter object per batch, shard and arrival day, named by its first record. */
export function deadLetterKey(arrivalTime: number, shardId: string, firstSequenceNumber: string): string {
  return `${deadLetterPrefix(arrivalTime)}${shardId}-${firstSequenceNumber}.jsonl`;
}

/** `failed-batches/<function>/<shardId>/YYYY/MM/DD/<time>-<id>.json` of an ISO timestamp. */
export function failedBatchKey(functionName: string, shardId: string, isoTimestamp: string, id: string): string {
  const day = isoTimestamp.slice(0, 10).replace(/-/g, "/");
  const time = isoTimestamp.replace(/[:]/g, ".").replace(/Z$/, "");
  return `${ARCHIVE_PREFIXES.failedBatches}${functionName}/${shardId}/${day}/${time}-${id}.json`;
}

function checkRange(fromMs: number, toMs: number): void {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new Error("from and to must be times");
  if (toMs <= fromMs) throw new Error("--to must be later than --from");
}

/** The archive hour prefixes (`raw/YYYY/MM/DD/HH/`) whose hours overlap [fromMs, toMs). */
export function hourPrefixes(fromMs: number, toMs: number, rawPrefix: string = ARCHIVE_PREFIXES.raw): string[] {
  checkRange(fromMs, toMs);
  const out: string[] = [];
  for (let h = Math.floor(fromMs / HOUR_MS) * HOUR_MS; h < toMs; h += HOUR_MS) out.push(`${rawPrefix}${hourPrefix(h)}`);
  return out;
}

/** The day prefixes (`dead-letters/YYYY/MM/DD/`) whose UTC days overlap [fromMs, toMs). */
export function dayPrefixes(fromMs: number, toMs: number, prefix: string = ARCHIVE_PREFIXES.deadLetters): string[] {
  checkRange(fromMs, toMs);
  const out: string[] = [];
  for (let d = Math.floor(fromMs / DAY_MS) * DAY_MS; d < toMs; d += DAY_MS) out.push(`${prefix}${dayPrefix(d)}`);
  return out;
}
