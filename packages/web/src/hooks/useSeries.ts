"use client";

import { useQuery } from "@tanstack/react-query";
import { useDataSettings } from "../lib/data";
import { BACKGROUND_POLL_MS, POLL_MS, pollEvery } from "../lib/polling";
import { applySeriesFetch, planSeriesFetch, type SeriesState } from "../lib/series";

/** The longest range the chart offers. */
export const MAX_RANGE_MS = 60 * 60_000;
/** Panes up to this far past the browser clock are asked for too (producer clocks may run ahead). */
const FUTURE_MS = 60_000;
/** Panes re-read on every poll before the last sync: the open panes and panes of late ticks. */
const LATE_MARGIN_MS = 30_000;

export const seriesKey = (instrument: string) => ["series", instrument] as const;

/**
 * Per-pane maxima of one instrument over the last hour (plus one window, for the sliding maximum
 * at the left edge). The hour is fetched once; every later poll asks only for the tail since the
 * last sync minus a margin, and merges by paneStart.
 *
 * `detailed`: polled every second (the chart); otherwise every 5 s (overview rows).
 */
export function useSeries(instrument: string | undefined, detailed: boolean) {
  const { api, now, windowMs, paneMs } = useDataSettings();
  const historyMs = MAX_RANGE_MS + windowMs;
  return useQuery({
    queryKey: seriesKey(instrument ?? ""),
    enabled: instrument !== undefined,
    queryFn: async ({ client, signal, queryKey }) => {
      const plannedAt = now();
      const prev = client.getQueryData<SeriesState>(queryKey);
      const ranges = planSeriesFetch(prev, plannedAt, {
        historyMs,
        paneMs,
        overlapMs: windowMs + LATE_MARGIN_MS,
        futureMs: FUTURE_MS,
      });
      const results = await Promise.all(
        ranges.map(async (range) => ({
          range,
          panes: await api.series(instrument!, range.from, range.to, signal),
        })),
      );
      return applySeriesFetch(prev, results, plannedAt, historyMs + paneMs);
    },
    refetchInterval: pollEvery(detailed ? POLL_MS : BACKGROUND_POLL_MS),
  });
}
