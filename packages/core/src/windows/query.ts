import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { PaneRow, WindowRow, WindowsReader } from "../api/router.js";
import type { WindowConfig } from "../config.js";
import { WINDOW_BUCKETS } from "../resources.js";
import { windowMaxOfPanes } from "./aggregate.js";
import { alignedStartsIn, paneRangeOfWindows, paneStartOf, windowEndOf, windowShape, type WindowShape } from "./assigner.js";
import { bucketOf } from "./buckets.js";
import { DynamoWindowStore, type WindowTables } from "./dynamo-store.js";
import { mergeConsecutive, type PaneStats } from "./pane-stats.js";
import { panesByInstrument } from "./pane-view.js";
import type { WindowReadStore } from "./store.js";
import { isWindowClosed, NO_WATERMARK } from "./trigger.js";

/**
 * Reads for the HTTP API.
 *
 * - Closed windows come from the Windows table, exactly as emitted (`final: true`).
 * - Open windows (end > watermark) are computed from their panes as they stand
 *   (`final: false`). Every tick in an open window's panes was placed while it was open.
 * - A window with end <= watermark and no stored result held no tick (or only late ones): not
 *   listed. Only windows and panes holding at least one tick are listed.
 * - A series row is one pane's candle, merged over the shards, or with `step` the candle of
 *   the panes of one step (open of the first, close of the last, high max, low min, counts
 *   added), steps aligned to multiples of `step` since the epoch.
 *
 * One instrument's data lives in its bucket's items (buckets.ts): every read is a Query of one
 * bucket over a key range, and keeps that instrument's entries.
 *
 * Reads go panes -> watermark -> results: a window still open at the watermark read cannot yet
 * hold a tick late for it (the watermark passes its end only after its result is stored), and a
 * window closed at that read has its result stored before, so the result read finds it.
 *
 * The row shapes and the reader are the API's (api/router.ts), which these reads serve.
 */
export interface WindowQueries extends WindowsReader {
  /** The effective watermark (epoch ms), or null before any tick was processed. */
  readWatermark(): Promise<number | null>;
}

export interface WindowQuerySource {
  store: WindowReadStore;
  config: Pick<WindowConfig, "windowSizeMs" | "windowSlideMs">;
  /** Instrument buckets; must match the writers' (default WINDOW_BUCKETS). */
  buckets?: number;
}

export function windowQueries(source: WindowQuerySource): WindowQueries {
  const reads: InstrumentReads = { store: source.store, shape: windowShape(source.config), buckets: source.buckets ?? WINDOW_BUCKETS };
  return {
    slideMs: reads.shape.slideMs,
    queryWindows: (instrument, from, to) => queryWindows(reads, instrument, from, to),
    querySeries: (instrument, from, to, step) => querySeries(reads, instrument, from, to, step),
    readWatermark: () => readWatermark(source.store),
  };
}

/** The queries on the DynamoDB tables (what the API handler uses). */
export function dynamoWindowQueries(options: {
  doc: DynamoDBDocumentClient;
  tables: WindowTables;
  config: Pick<WindowConfig, "windowSizeMs" | "windowSlideMs" | "paneRetentionHours">;
}): WindowQueries {
  const store = new DynamoWindowStore({ doc: options.doc, tables: options.tables, retentionHours: options.config.paneRetentionHours });
  return windowQueries({ store, config: options.config });
}

export async function readWatermark(store: WindowReadStore): Promise<number | null> {
  const { watermark } = await store.readGlobal();
  return watermark === NO_WATERMARK ? null : watermark;
}

/** Where one instrument's reads go: the store, the window shape and the writers' bucket count. */
export interface InstrumentReads {
  store: WindowReadStore;
  shape: WindowShape;
  buckets: number;
}

/** The instrument's panes with paneStart in [fromPane, toPane], merged over the shards. */
async function instrumentPanes({ store, buckets }: InstrumentReads, instrument: string, fromPane: number, toPane: number) {
  const items = await store.readBucketPanes(bucketOf(instrument, buckets), fromPane, toPane);
  return panesByInstrument(items, instrument).get(instrument) ?? [];
}

function row(paneStart: number, s: PaneStats): PaneRow {
  return { paneStart, open: s.open, high: s.high, low: s.low, close: s.close, count: s.count };
}

export async function querySeries(reads: InstrumentReads, instrument: string, from: number, to: number, step?: number): Promise<PaneRow[]> {
  if (!(to > from)) return [];
  const panes = await instrumentPanes(reads, instrument, from, to - 1);
  if (step === undefined || step === reads.shape.slideMs) return panes.map((p) => row(p.paneStart, p.stats));
  const out: PaneRow[] = [];
  for (let i = 0; i < panes.length; ) {
    const start = paneStartOf(panes[i]!.paneStart, step);
    const group: PaneStats[] = [];
    for (; i < panes.length && panes[i]!.paneStart < start + step; i++) group.push(panes[i]!.stats);
    out.push(row(start, mergeConsecutive(group)!));
  }
  return out;
}

export async function queryWindows(reads: InstrumentReads, instrument: string, from: number, to: number): Promise<WindowRow[]> {
  const { store, shape, buckets } = reads;
  const starts = alignedStartsIn(from, to, shape.slideMs);
  if (starts.length === 0) return [];
  const first = starts[0]!;
  const last = starts[starts.length - 1]!;
  const [fromPane, toPane] = paneRangeOfWindows(first, last, shape);
  const panes = (await instrumentPanes(reads, instrument, fromPane, toPane)).map((p) => ({ paneStart: p.paneStart, maxCents: p.stats.high }));
  const { watermark } = await store.readGlobal();
  const finals = new Map<number, { windowEnd: number; maxCents: number }>();
  for (const item of await store.readBucketResults(bucketOf(instrument, buckets), first, last)) {
    const max = item.maxima.get(instrument);
    if (max !== undefined) finals.set(item.windowStart, { windowEnd: item.windowEnd, maxCents: max });
  }
  const out: WindowRow[] = [];
  for (const s of starts) {
    const stored = finals.get(s);
    if (stored) {
      out.push({ windowStart: s, windowEnd: stored.windowEnd, maxCents: stored.maxCents, final: true });
      continue;
    }
    const end = windowEndOf(s, shape);
    if (isWindowClosed(end, watermark)) continue;
    const max = windowMaxOfPanes(panes, s, shape);
    if (max !== undefined) out.push({ windowStart: s, windowEnd: end, maxCents: max, final: false });
  }
  return out;
}
