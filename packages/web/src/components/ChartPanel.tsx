"use client";

import dynamic from "next/dynamic";
import { useMemo, type ReactNode } from "react";
import { useSeries } from "../hooks/useSeries";
import { useRecentWindows } from "../hooks/useWindows";
import { useDataSettings } from "../lib/data";
import { describeChange, formatAge, formatCents, formatClock, formatPrice } from "../lib/format";
import { describeError } from "../lib/polling";
import { chartStep, RANGE_KEYS, RANGES, rangeSpan, recentPanesHistory, type RangeKey } from "../lib/ranges";
import { buildChartData, currentWindowMax } from "../lib/series";
import type { InstrumentView } from "../lib/ticks";
import { ErrorBanner } from "./ErrorBanner";

export const CHART_HEIGHT = 320;

// Recharts is loaded after the first paint, into a box of fixed size: no layout shift.
const PriceChart = dynamic(() => import("./PriceChart").then((m) => m.PriceChart), {
  ssr: false,
  loading: () => (
    <div className="chart-skeleton" style={{ height: CHART_HEIGHT }} aria-hidden="true" />
  ),
});

/** "10-s", "4-min": a candle's length as the legend names it. */
function candleLabel(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}-min` : `${ms / 1000}-s`;
}

/** One figure of the stats row: the value large, what it is made of below. */
function Stat({
  label,
  testId,
  value,
  detail,
  children,
}: {
  label: string;
  testId: string;
  value: string;
  detail: string;
  /** Shown after the value. */
  children?: ReactNode;
}) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        <span className="big" data-testid={testId}>
          {value}
        </span>{" "}
        {children}
        <span className="muted small block">{detail}</span>
      </dd>
    </div>
  );
}

interface WindowText {
  label: string;
  /** Where the value comes from, after the window's span. */
  note: string;
  /** Said when there is no such window. */
  empty: string;
}

const OPEN_WINDOW: WindowText = {
  label: "1-min high",
  note: "open window, from 10-s panes and the latest tick",
  empty: "no ticks in the last minute",
};

const LAST_CLOSED_WINDOW: WindowText = {
  label: "Last closed window",
  note: "as emitted",
  empty: "none in the last minutes",
};

/** A window's maximum, with the window's span. */
function WindowStat({
  text,
  testId,
  window: w,
}: {
  text: WindowText;
  testId: string;
  window: { windowStart: number; windowEnd: number; max: number } | undefined;
}) {
  const span = w && `${formatClock(w.windowStart)}–${formatClock(w.windowEnd)}`;
  return (
    <Stat
      label={text.label}
      testId={testId}
      value={w ? formatPrice(w.max) : "—"}
      detail={span ? `${span}, ${text.note}` : text.empty}
    />
  );
}

export function ChartPanel({
  view,
  now,
  range,
  onRange,
  loading,
  apiFailing,
  onRetry,
}: {
  view: InstrumentView | undefined;
  now: number;
  range: RangeKey;
  onRange: (r: RangeKey) => void;
  loading: boolean;
  /** The instruments poll is failing too: the page-wide banner says it already. */
  apiFailing: boolean;
  onRetry: () => Promise<unknown>;
}) {
  const { windowMs, paneMs } = useDataSettings();
  const instrument = view?.instrument;
  const stepMs = chartStep(range, paneMs);
  const series = useSeries(instrument, true, RANGES[range].ms, stepMs);
  // The one-minute high needs single panes: the chart's query when its candles are single panes,
  // and the selected row asks for the same ones (recentPanesHistory).
  const recent = useSeries(instrument, true, recentPanesHistory(range, paneMs, windowMs));
  const windows = useRecentWindows(instrument);

  const { from, to } = rangeSpan(range, now, view?.current.eventTime);
  const candles = series.data?.panes;
  const liveT = view?.current.eventTime;
  const livePrice = view ? view.currentCents / 100 : undefined;
  const live = useMemo(
    () =>
      liveT !== undefined && livePrice !== undefined ? { t: liveT, price: livePrice } : undefined,
    [liveT, livePrice],
  );
  const data = useMemo(
    () => (candles ? buildChartData({ candles, from, to, stepMs, live }) : undefined),
    [candles, from, to, stepMs, live],
  );
  const panes = recent.data?.panes;

  const windowMax = panes ? currentWindowMax(panes, to, windowMs, paneMs, live) : undefined;
  const lastFinal = windows.data?.filter((w) => w.final).at(-1);
  const change = view ? describeChange(view.currentCents, view.previous?.cents) : undefined;
  const seriesFailure =
    series.failureCount > 0 || series.isError ? (series.failureReason ?? series.error) : null;

  return (
    <>
      <div className="panel-head">
        <h2 id="detail-title">{instrument !== undefined ? `Instrument ${instrument}` : "Chart"}</h2>
        <div className="range-picker" role="group" aria-label="Time range">
          {RANGE_KEYS.map((key) => (
            <button
              key={key}
              type="button"
              aria-pressed={key === range}
              onClick={() => onRange(key)}
              data-testid={`range-${key}`}
            >
              {RANGES[key].label}
            </button>
          ))}
        </div>
      </div>

      <dl className="stats" data-testid="stats">
        <Stat
          label="Latest"
          testId="detail-price"
          value={view ? formatCents(view.currentCents) : "—"}
          detail={
            view
              ? `tick at ${formatClock(view.current.eventTime)} · ${formatAge(now - view.current.eventTime)}`
              : "\u00a0"
          }
        >
          {change && change.direction !== "none" && (
            <span className={`change ${change.direction}`}>
              <span aria-hidden="true">
                {change.arrow} {change.delta} ({change.percent})
              </span>
              <span className="sr-only">{change.label}</span>
            </span>
          )}
        </Stat>
        <WindowStat text={OPEN_WINDOW} testId="detail-window-max" window={windowMax} />
        <WindowStat text={LAST_CLOSED_WINDOW} testId="detail-last-window" window={lastFinal} />
      </dl>

      <figure
        className="chart"
        data-testid="price-chart"
        data-instrument={instrument ?? ""}
        data-last-tick-time={view?.current.eventTime ?? ""}
        data-last-price={view ? formatCents(view.currentCents) : ""}
        data-points={data?.length ?? 0}
      >
        <div
          className="chart-box"
          style={{ height: CHART_HEIGHT }}
          role="img"
          aria-label={
            view
              ? `Price of instrument ${view.instrument} over the last ${RANGES[range].label}. Latest ${formatCents(view.currentCents)}` +
                (windowMax ? `, one-minute high ${formatPrice(windowMax.max)}.` : ".")
              : "No instrument selected."
          }
        >
          <ErrorBanner
            error={view && !apiFailing ? seriesFailure : null}
            attempts={series.failureCount}
            lastSuccessAt={series.dataUpdatedAt || undefined}
            now={now}
            onRetry={onRetry}
            testId="series-error"
            title="Cannot load the history."
            overlay
          />
          {data && !loading ? (
            <PriceChart data={data} from={from} to={to} />
          ) : (
            <div className="chart-skeleton" style={{ height: CHART_HEIGHT }} aria-hidden="true">
              {series.isError && !series.data ? describeError(series.error) : null}
            </div>
          )}
        </div>
        <figcaption className="legend">
          <span>
            <i className="swatch price" aria-hidden="true" /> <b>Close</b>: last price of each{" "}
            {candleLabel(stepMs)} candle, from the server, running on to the latest tick (dot)
          </span>
          <span>
            <i className="swatch pane" aria-hidden="true" /> <b>High–low</b>: range of the prices in
            each candle
          </span>
        </figcaption>
      </figure>
    </>
  );
}
