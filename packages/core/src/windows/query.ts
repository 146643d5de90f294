import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { WindowConfig } from "../config.js";
import { windowMaxOfPanes } from "./aggregate.js";
import { alignedStartsIn, paneRangeOfWindows, windowEndOf, windowShape, type WindowShape } from "./assigner.js";
import { DynamoWindowStore, type WindowTables } from "./dynamo-store.js";
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
 *
 * Reads go panes -> watermark -> results: a window still open at the watermark read cannot yet
 * hold a tick late for it (the watermark passes its end only after its result is stored), and a
 * window closed at that read has its result stored before, so the result read finds it.
 */
export interface WindowView {
  windowStart: number;
  windowEnd: number;
  maxCents: number;
  final: boolean;
}

export interface PaneView {
  paneStart: number;
  maxCents: number;
}

export interface WindowQueries {
  /** Windows of one instrument with start in [from, to), oldest first. */
  queryWindows(instrument: string, from: number, to: number): Promise<WindowView[]>;
  /** Pane maxima of one instrument with paneStart in [from, to), oldest first. */
  querySeries(instrument: string, from: number, to: number): Promise<PaneView[]>;
  /** The effective watermark (epoch ms), or null before any tick was processed. */
  readWatermark(): Promise<number | null>;
}

export interface WindowQuerySource {
  store: WindowReadStore;
  config: Pick<WindowConfig, "windowSizeMs" | "windowSlideMs">;
}

export function windowQueries(source: WindowQuerySource): WindowQueries {
  const shape = windowShape(source.config);
  return {
    queryWindows: (instrument, from, to) => queryWindows(source.store, shape, instrument, from, to),
    querySeries: (instrument, from, to) => querySeries(source.store, instrument, from, to),
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

export async function querySeries(store: WindowReadStore, instrument: string, from: number, to: number): Promise<PaneView[]> {
  if (!(to > from)) return [];
  return store.readPanes(instrument, from, to - 1);
}

export async function queryWindows(
  store: WindowReadStore,
  shape: WindowShape,
  instrument: string,
  from: number,
  to: number,
): Promise<WindowView[]> {
  const starts = alignedStartsIn(from, to, shape.slideMs);
  if (starts.length === 0) return [];
  const first = starts[0]!;
  const last = starts[starts.length - 1]!;
  const [fromPane, toPane] = paneRangeOfWindows(first, last, shape);
  const panes = await store.readPanes(instrument, fromPane, toPane);
  const { watermark } = await store.readGlobal();
  const finals = new Map((await store.readFinals(instrument, first, last)).map((r) => [r.windowStart, r]));
  const out: WindowView[] = [];
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
