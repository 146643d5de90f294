import { mergeShardStats, type PaneStats, type ShardStats } from "./pane-stats.js";
import type { ShardPaneItem } from "./store.js";

/** One instrument's pane as every shard holds it, merged. */
export interface InstrumentPane {
  paneStart: number;
  stats: PaneStats;
}

/**
 * Pane items (any shards, any panes) turned around: per instrument, its panes merged over the
 * shards (pane-stats.ts), ascending by paneStart. With `only`, just that instrument.
 */
export function panesByInstrument(items: readonly ShardPaneItem[], only?: string): Map<string, InstrumentPane[]> {
  const parts = new Map<string, Map<number, ShardStats[]>>();
  const add = (instrument: string, paneStart: number, shardId: string, stats: PaneStats) => {
    let panes = parts.get(instrument);
    if (!panes) parts.set(instrument, (panes = new Map()));
    let list = panes.get(paneStart);
    if (!list) panes.set(paneStart, (list = []));
    list.push({ shardId, stats });
  };
  for (const item of items) {
    if (only !== undefined) {
      const stats = item.entries.get(only);
      if (stats) add(only, item.paneStart, item.shardId, stats);
      continue;
    }
    for (const [instrument, stats] of item.entries) add(instrument, item.paneStart, item.shardId, stats);
  }
  const out = new Map<string, InstrumentPane[]>();
  for (const [instrument, panes] of parts) {
    const list: InstrumentPane[] = [];
    for (const [paneStart, shardParts] of panes) list.push({ paneStart, stats: mergeShardStats(shardParts)! });
    list.sort((a, b) => a.paneStart - b.paneStart);
    out.set(instrument, list);
  }
  return out;
}
