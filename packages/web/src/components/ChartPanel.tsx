"use client";

import dynamic from "next/dynamic";
import { useMemo } from "react";
import { useSeries } from "../hooks/useSeries";
import { useRecentWindows } from "../hooks/useWindows";
import { useDataSettings } from "../lib/data";
import { describeChange, formatAge, formatCents, formatClock, formatPrice } from "../lib/format";
import { describeError } from "../lib/polling";
import { chartHistoryMs, RANGE_KEYS, RANGES, rangeSpan, type RangeKey } from "../lib/ranges";
import { buildChartData, currentWindowMax } from "../lib/series";
import type { InstrumentView, SeenTick } from "../lib/ticks";
import { ErrorBanner } from "./ErrorBanner";

export const CHART_HEIGHT = 320;

// Recharts is loaded after the first paint, into a box of fixed size: no layout shift.
const PriceChart = dynamic(() => import("./PriceChart").then((m) => m.PriceChart), {
  ssr: false,
  loading: () => (
    <div className="chart-skeleton" style={{ height: CHART_HEIGHT }} aria-hidden="true" />
  ),
});

export function ChartPanel({
  view,
  history,
  now,
  range,
  onRange,
  loading,
  apiFailing,
  onRetry,
}: {
  view: InstrumentView | undefined;
  history: SeenTick[];
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
  const series = useSeries(instrument, true, chartHistoryMs(range, windowMs));
  const windows = useRecentWindows(instrument);

  const { from, to } = rangeSpan(range, now, view?.current.eventTime);
  const panes = series.data?.panes;
  const data = useMemo(
    () =>
      panes ? buildChartData({ ticks: history, panes, from, to, paneMs, windowMs }) : undefined,
    [history, panes, from, to, paneMs, windowMs],
  );

  const windowMax = panes
    ? currentWindowMax(
        panes,
        to,
        windowMs,
        paneMs,
        view && { t: view.current.eventTime, price: view.currentCents / 100 },
      )
    : undefined;
  const lastFinal = windows.data?.filter((w) => w.final).at(-1);
  const change = view ? describeChange(view.currentCents, view.previous?.cents) : undefined;
  const lastTick = history.at(-1);
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
        <div>
          <dt>Latest</dt>
          <dd>
            <span className="big" data-testid="detail-price">
              {view ? formatCents(view.currentCents) : "—"}
            </span>{" "}
            {change && change.direction !== "none" && (
              <span className={`change ${change.direction}`}>
                <span aria-hidden="true">
                  {change.arrow} {change.delta} ({change.percent})
                </span>
                <span className="sr-only">{change.label}</span>
              </span>
            )}
            <span className="muted small block">
              {view
                ? `tick at ${formatClock(view.current.eventTime)} · ${formatAge(now - view.current.eventTime)}`
                : "\u00a0"}
            </span>
          </dd>
        </div>
        <div>
          <dt>1-min high</dt>
          <dd>
            <span className="big" data-testid="detail-window-max">
              {windowMax ? formatPrice(windowMax.max) : "—"}
            </span>
            <span className="muted small block">
              {windowMax
                ? `${formatClock(windowMax.windowStart)}–${formatClock(windowMax.windowEnd)}, open window, from 10-s panes and the latest tick`
                : "no ticks in the last minute"}
            </span>
          </dd>
        </div>
        <div>
          <dt>Last closed window</dt>
          <dd>
            <span className="big" data-testid="detail-last-window">
              {lastFinal ? formatPrice(lastFinal.max) : "—"}
            </span>
            <span className="muted small block">
              {lastFinal
                ? `${formatClock(lastFinal.windowStart)}–${formatClock(lastFinal.windowEnd)}, as emitted`
                : "none in the last minutes"}
            </span>
          </dd>
        </div>
      </dl>

      <figure
        className="chart"
        data-testid="price-chart"
        data-instrument={instrument ?? ""}
        data-last-tick-time={lastTick?.t ?? ""}
        data-last-price={lastTick ? formatCents(lastTick.cents) : ""}
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
            <i className="swatch price" aria-hidden="true" /> <b>Price</b>: the latest tick, as seen
            by this page every second while it is open (ticks between two polls are not drawn)
          </span>
          <span>
            <i className="swatch pane" aria-hidden="true" /> <b>10-s high</b>: maximum of each
            10-second pane, from the server (history too)
          </span>
          <span>
            <i className="swatch window" aria-hidden="true" /> <b>1-min high</b>: sliding maximum of
            the minute ending with each pane, computed from the panes
          </span>
        </figcaption>
      </figure>
    </>
  );
}
