"use client";

import { memo, useRef, type KeyboardEvent } from "react";
import { useSeries } from "../hooks/useSeries";
import { useDataSettings } from "../lib/data";
import { describeChange, formatAge, formatCents, formatPrice } from "../lib/format";
import { STALE_AFTER_MS } from "../lib/polling";
import { currentWindowMax } from "../lib/series";
import type { InstrumentView } from "../lib/ticks";

const SKELETON_ROWS = 6;

export function InstrumentList({
  list,
  selected,
  onSelect,
  now,
  loadFailed,
}: {
  /** undefined while the first answer is awaited */
  list: InstrumentView[] | undefined;
  selected: string | undefined;
  onSelect: (instrument: string) => void;
  now: number;
  loadFailed: boolean;
}) {
  const ref = useRef<HTMLUListElement>(null);

  // Arrow keys move between instruments; Enter or Space selects (native buttons).
  function onKeyDown(e: KeyboardEvent<HTMLUListElement>) {
    const buttons = Array.from(
      ref.current?.querySelectorAll<HTMLButtonElement>("button[data-instrument]") ?? [],
    );
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0) return;
    const next =
      e.key === "ArrowDown"
        ? Math.min(i + 1, buttons.length - 1)
        : e.key === "ArrowUp"
          ? Math.max(i - 1, 0)
          : e.key === "Home"
            ? 0
            : e.key === "End"
              ? buttons.length - 1
              : -1;
    if (next < 0) return;
    e.preventDefault();
    buttons[next]?.focus();
  }

  return (
    <div className="instruments">
      <div className="instrument-row header" aria-hidden="true">
        <span>Instrument</span>
        <span className="num">Price</span>
        <span className="num">Change</span>
        <span className="num">1-min high</span>
        <span className="num">Age</span>
      </div>
      {list === undefined ? (
        <ul
          className="instrument-list"
          aria-busy="true"
          aria-label="Loading instruments"
          data-testid="instruments-loading"
        >
          {Array.from({ length: SKELETON_ROWS }, (_, i) => (
            <li key={i}>
              <div className={`instrument-row skeleton ${loadFailed ? "failed" : ""}`} />
            </li>
          ))}
        </ul>
      ) : list.length === 0 ? (
        <p className="empty" data-testid="instruments-empty">
          No prices have arrived yet. Ticks put into the prices stream show up here within a few
          seconds (locally: <code>npm run produce</code>).
        </p>
      ) : (
        <ul
          className="instrument-list"
          aria-label="Instruments"
          ref={ref}
          onKeyDown={onKeyDown}
          data-testid="instrument-list"
        >
          {list.map((view) => (
            <li key={view.instrument}>
              <InstrumentRow
                view={view}
                selected={view.instrument === selected}
                onSelect={onSelect}
                now={now}
              />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

const InstrumentRow = memo(function InstrumentRow({
  view,
  selected,
  onSelect,
  now,
}: {
  view: InstrumentView;
  selected: boolean;
  onSelect: (instrument: string) => void;
  now: number;
}) {
  const { windowMs, paneMs } = useDataSettings();
  const series = useSeries(view.instrument, selected);
  const age = now - view.current.eventTime;
  const stale = age > STALE_AFTER_MS;
  const change = describeChange(view.currentCents, view.previous?.cents);
  const windowMax = series.data
    ? currentWindowMax(series.data.panes, Math.max(now, view.current.eventTime), windowMs, paneMs, {
        t: view.current.eventTime,
        price: view.currentCents / 100,
      })
    : undefined;

  return (
    <button
      type="button"
      className={`instrument-row ${stale ? "is-stale" : ""}`}
      aria-pressed={selected}
      onClick={() => onSelect(view.instrument)}
      data-instrument={view.instrument}
      data-testid={`instrument-${view.instrument}`}
      data-stale={stale}
    >
      <span className="name">
        <span className="id">{view.instrument}</span>
        {stale && <span className="badge stale">stale</span>}
      </span>
      <span className="num price" data-testid="price">
        {formatCents(view.currentCents)}
      </span>
      <span
        className={`num change ${change.direction}`}
        data-testid="change"
        data-direction={change.direction}
      >
        <span aria-hidden="true">
          {change.arrow} {change.delta || "—"}
        </span>
        <span className="sr-only">{change.label}</span>
      </span>
      <span className="num" data-testid="window-max">
        <span className="sr-only">one-minute high </span>
        <span className="inline-label" aria-hidden="true">
          1-min high{" "}
        </span>
        {windowMax ? formatPrice(windowMax.max) : series.isPending ? "…" : "—"}
      </span>
      <span className="num age" data-testid="age">
        {formatAge(age)}
      </span>
    </button>
  );
});
