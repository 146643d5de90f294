"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import {
  memo,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
} from "react";
import { useMediaQuery } from "../hooks/useMediaQuery";
import { useSeries } from "../hooks/useSeries";
import type { Watchlist } from "../hooks/useWatchlist";
import { useDataSettings } from "../lib/data";
import { describeChange, formatAge, formatCents, formatPrice } from "../lib/format";
import { STALE_AFTER_MS } from "../lib/polling";
import { filterInstruments, type ListFilter } from "../lib/search";
import { currentWindowMax } from "../lib/series";
import type { InstrumentView } from "../lib/ticks";

const SKELETON_ROWS = 6;
/** Row heights in px, gap included: one line on wide screens, two on phones (see globals.css). */
export const ROW_PX = { wide: 50, narrow: 62 } as const;
export const NARROW_QUERY = "(max-width: 560px)";
/** Rows rendered beyond the visible ones, so that short scrolls show no blank rows. */
const OVERSCAN = 8;

export function InstrumentList({
  list,
  selected,
  onSelect,
  now,
  loadFailed,
  watchlist,
  selectedHistoryMs,
}: {
  /** undefined while the first answer is awaited */
  list: InstrumentView[] | undefined;
  selected: string | undefined;
  onSelect: (instrument: string) => void;
  now: number;
  loadFailed: boolean;
  watchlist: Watchlist;
  /** The history the selected row's panes query asks for: the chart's one (recentPanesHistory). */
  selectedHistoryMs: number;
}) {
  const [query, setQuery] = useState("");
  const [filter, setFilter] = useState<ListFilter>("all");
  const searchId = useId();
  const { watched } = watchlist;
  const shown = useMemo(
    () => (list ? filterInstruments(list, { query, filter, watchlist: watched }) : undefined),
    [list, query, filter, watched],
  );

  return (
    <div className="instruments">
      <div className="list-tools">
        <label htmlFor={searchId} className="sr-only">
          Search instruments
        </label>
        <input
          id={searchId}
          type="search"
          className="search"
          placeholder="Search instruments"
          autoComplete="off"
          spellCheck={false}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="instrument-search"
        />
        <div className="segmented" role="group" aria-label="Show">
          <button
            type="button"
            aria-pressed={filter === "all"}
            onClick={() => setFilter("all")}
            data-testid="show-all"
          >
            All
          </button>
          <button
            type="button"
            aria-pressed={filter === "watchlist"}
            onClick={() => setFilter("watchlist")}
            data-testid="show-watchlist"
          >
            Watchlist <span className="count">{watchlist.list.length}</span>
          </button>
        </div>
      </div>
      <p className="muted small list-status" role="status" data-testid="instrument-count">
        {list === undefined
          ? "\u00a0"
          : shown!.length === list.length
            ? `${list.length} instrument${list.length === 1 ? "" : "s"}`
            : `${shown!.length} of ${list.length} instruments`}
      </p>

      <div className="list-head" aria-hidden="true">
        <div className="instrument-row header">
          <span />
          <span>Instrument</span>
          <span className="num">Price</span>
          <span className="num">Change</span>
          <span className="num">1-min high</span>
          <span className="num">Age</span>
        </div>
      </div>
      {list === undefined ? (
        <ul
          className="instrument-list"
          aria-busy="true"
          aria-label="Loading instruments"
          data-testid="instruments-loading"
        >
          {Array.from({ length: SKELETON_ROWS }, (_, i) => (
            <li key={i} className="skeleton-item">
              <div className={`instrument-row skeleton ${loadFailed ? "failed" : ""}`} />
            </li>
          ))}
        </ul>
      ) : list.length === 0 ? (
        <p className="empty" data-testid="instruments-empty">
          No prices have arrived yet. Ticks put into the prices stream show up here within a few
          seconds (locally: <code>npm run produce</code>).
        </p>
      ) : shown!.length === 0 ? (
        <p className="empty" data-testid="instruments-no-match">
          {filter === "watchlist" && watchlist.list.length === 0
            ? "Your watchlist is empty: star an instrument to add it."
            : query.trim()
              ? `No instrument matches “${query.trim()}”${filter === "watchlist" ? " in your watchlist" : ""}.`
              : "None of your watchlist's instruments has a price yet."}
        </p>
      ) : (
        <VirtualRows
          views={shown!}
          selected={selected}
          onSelect={onSelect}
          now={now}
          watched={watched}
          onToggleWatch={watchlist.toggle}
          selectedHistoryMs={selectedHistoryMs}
        />
      )}
    </div>
  );
}

/** Only the rows in view (and a few around them) are in the page: 10,000 instruments scroll as fast as 10. */
function VirtualRows({
  views,
  selected,
  onSelect,
  now,
  watched,
  onToggleWatch,
  selectedHistoryMs,
}: {
  views: InstrumentView[];
  selected: string | undefined;
  onSelect: (instrument: string) => void;
  now: number;
  watched: ReadonlySet<string>;
  onToggleWatch: (instrument: string) => void;
  selectedHistoryMs: number;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const narrow = useMediaQuery(NARROW_QUERY);
  const rowPx = narrow ? ROW_PX.narrow : ROW_PX.wide;
  const virtualizer = useVirtualizer({
    count: views.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowPx,
    getItemKey: (i) => views[i]!.instrument,
    overscan: OVERSCAN,
  });
  useLayoutEffect(() => virtualizer.measure(), [virtualizer, rowPx]);

  // A selection restored from the address bar may lie far down the list: bring it into view once.
  const scrolledTo = useRef(false);
  useEffect(() => {
    if (scrolledTo.current || selected === undefined) return;
    scrolledTo.current = true;
    const index = views.findIndex((v) => v.instrument === selected);
    if (index > 0) virtualizer.scrollToIndex(index, { align: "center" });
  }, [views, selected, virtualizer]);

  // Arrow keys move between instruments, scrolling rows into the page as needed; Enter or Space
  // selects (native buttons).
  const focusIndex = useRef<number | null>(null);
  const focusRow = (index: number) => {
    const button = listRef.current?.querySelector<HTMLButtonElement>(
      `button[data-instrument][data-index="${index}"]`,
    );
    if (!button) return false;
    button.focus();
    return true;
  };
  useEffect(() => {
    if (focusIndex.current !== null && focusRow(focusIndex.current)) focusIndex.current = null;
  });
  function onKeyDown(e: KeyboardEvent<HTMLUListElement>) {
    const active = document.activeElement as HTMLElement | null;
    if (!active?.matches("button[data-instrument]")) return;
    const i = Number(active.dataset.index);
    const last = views.length - 1;
    const next =
      e.key === "ArrowDown"
        ? Math.min(i + 1, last)
        : e.key === "ArrowUp"
          ? Math.max(i - 1, 0)
          : e.key === "Home"
            ? 0
            : e.key === "End"
              ? last
              : -1;
    if (next < 0) return;
    e.preventDefault();
    virtualizer.scrollToIndex(next);
    if (!focusRow(next)) focusIndex.current = next;
  }

  return (
    <div className="instrument-scroll" ref={scrollRef} data-testid="instrument-scroll">
      <ul
        className="instrument-list virtual"
        aria-label="Instruments"
        ref={listRef}
        onKeyDown={onKeyDown}
        style={{ height: virtualizer.getTotalSize() }}
        data-testid="instrument-list"
      >
        {virtualizer.getVirtualItems().map((item) => {
          const view = views[item.index]!;
          return (
            <li
              key={item.key}
              aria-setsize={views.length}
              aria-posinset={item.index + 1}
              style={{ height: rowPx, transform: `translateY(${item.start}px)` }}
            >
              <InstrumentRow
                view={view}
                index={item.index}
                selected={view.instrument === selected}
                onSelect={onSelect}
                now={now}
                watched={watched.has(view.instrument)}
                onToggleWatch={onToggleWatch}
                historyMs={view.instrument === selected ? selectedHistoryMs : undefined}
              />
            </li>
          );
        })}
      </ul>
    </div>
  );
}

const InstrumentRow = memo(function InstrumentRow({
  view,
  index,
  selected,
  onSelect,
  now,
  watched,
  onToggleWatch,
  historyMs,
}: {
  view: InstrumentView;
  index: number;
  selected: boolean;
  onSelect: (instrument: string) => void;
  now: number;
  watched: boolean;
  onToggleWatch: (instrument: string) => void;
  /** Default: the window. */
  historyMs?: number;
}) {
  const { windowMs, paneMs } = useDataSettings();
  // The current window's panes: for the selected row the same query as the chart's 1-min high.
  const series = useSeries(view.instrument, selected, historyMs ?? windowMs);
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
    <div className="instrument-item">
      <button
        type="button"
        className="star"
        aria-pressed={watched}
        aria-label={`Watch ${view.instrument}`}
        title={watched ? "Remove from the watchlist" : "Add to the watchlist"}
        onClick={() => onToggleWatch(view.instrument)}
        data-testid={`watch-${view.instrument}`}
      >
        <span aria-hidden="true">{watched ? "★" : "☆"}</span>
      </button>
      <button
        type="button"
        className={`instrument-row ${stale ? "is-stale" : ""}`}
        aria-pressed={selected}
        onClick={() => onSelect(view.instrument)}
        data-instrument={view.instrument}
        data-index={index}
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
    </div>
  );
});
