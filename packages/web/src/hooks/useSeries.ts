"use client";

import { useQuery } from "@tanstack/react-query";
import { useDataSettings } from "../lib/data";
import { BACKGROUND_POLL_MS, POLL_MS, pollEvery } from "../lib/polling";
import { applySeriesFetch, planSeriesFetch, type SeriesState } from "../lib/series";

/** Panes up to this far past the browser clock are asked for too (producer clocks may run ahead). */
const FUTURE_MS = 60_000;
/** Panes re-read on every poll before the last sync: the open panes and panes of late ticks. */
const LATE_MARGIN_MS = 30_000;
/** The API answers at most 24 hours per request. */
export const MAX_REQUEST_SPAN_MS = 24 * 60 * 60_000;

/** One cache entry per instrument, length of history and candle length: the chart's and the rows' differ. */
export const seriesKey = (instrument: string, historyMs: number, stepMs: number) =>
  ["series", instrument, historyMs, stepMs] as const;

/**
 * Candles of one instrument over the last `historyMs`, each `stepMs` long (default: one pane).
 * The history is fetched once, in one request; every later poll asks only for the tail from the
 * candle open at the last sync minus a margin, and merges by paneStart.
 *
 * `detailed`: polled every second (the chart); otherwise every 5 s (overview rows).
 */
export function useSeries(
  instrument: string | undefined,
  detailed: boolean,
  historyMs: number,
  stepMs?: number,
) {
  const { api, now, windowMs, paneMs } = useDataSettings();
  const step = stepMs ?? paneMs;
  return useQuery({
    queryKey: seriesKey(instrument ?? "", historyMs, step),
    enabled: instrument !== undefined,
    queryFn: async ({ client, signal, queryKey }) => {
      const plannedAt = now();
      const prev = client.getQueryData<SeriesState>(queryKey);
      const ranges = planSeriesFetch(prev, plannedAt, {
        historyMs,
        stepMs: step,
        overlapMs: windowMs + LATE_MARGIN_MS,
        futureMs: FUTURE_MS,
        maxSpanMs: MAX_REQUEST_SPAN_MS,
      });
      const results = await Promise.all(
        ranges.map(async (range) => ({
          range,
          panes: await api.series(instrument!, range.from, range.to, signal, step),
        })),
      );
      return applySeriesFetch(prev, results, plannedAt, historyMs + step);
    },
    // While another range of the same instrument and candle length loads, its candles stay on
    // screen (candles of another length would be drawn with the wrong gaps).
    placeholderData: (previous, previousQuery) =>
      previousQuery?.queryKey[1] === instrument && previousQuery?.queryKey[3] === step
        ? previous
        : undefined,
    refetchInterval: pollEvery(detailed ? POLL_MS : BACKGROUND_POLL_MS),
  });
}
