"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { useDashboardQuery } from "../hooks/useDashboardQuery";
import { useInstruments } from "../hooks/useInstruments";
import { useNow } from "../hooks/useNow";
import { useWatchlist } from "../hooks/useWatchlist";
import { useAuth } from "../lib/auth";
import { formatAge } from "../lib/format";
import { STALE_AFTER_MS } from "../lib/polling";
import { useDataSettings } from "../lib/data";
import { recentPanesHistory, type RangeKey } from "../lib/ranges";
import { ChartPanel } from "./ChartPanel";
import { ErrorBanner } from "./ErrorBanner";
import { InstrumentList } from "./InstrumentList";

export function Dashboard({ username, region }: { username: string; region: string }) {
  const auth = useAuth();
  const queryClient = useQueryClient();
  const now = useNow(1000);
  const instruments = useInstruments();
  const [{ instrument: selected, range }, updateQuery] = useDashboardQuery();
  const watchlist = useWatchlist(username);
  const { windowMs, paneMs } = useDataSettings();
  const select = useCallback((instrument: string) => updateQuery({ instrument }), [updateQuery]);
  const setRange = useCallback((r: RangeKey) => updateQuery({ range: r }), [updateQuery]);

  const state = instruments.data;
  const list = state?.list ?? [];
  // An instrument named in the address bar that has no price (yet) leaves the first one shown.
  const current = list.find((v) => v.instrument === selected) ?? list[0];
  const failing = instruments.failureCount > 0 || instruments.isError;
  const failure = failing ? (instruments.failureReason ?? instruments.error) : null;
  const allStale = list.length > 0 && list.every((v) => now - v.current.eventTime > STALE_AFTER_MS);

  const status = failing
    ? "offline"
    : !state
      ? "connecting"
      : list.length === 0
        ? "empty"
        : allStale
          ? "stale"
          : "live";
  const statusText = {
    offline: "API unreachable",
    connecting: "Connecting…",
    empty: "No prices yet",
    stale: "Stale",
    live: "Live",
  }[status];

  const retryNow = useCallback(async () => {
    // Stop the backoff timers and ask again at once.
    await queryClient.cancelQueries();
    await queryClient.refetchQueries({ type: "active" });
  }, [queryClient]);

  return (
    <div className="shell">
      <header className="topbar">
        <h1 className="brand">Tickstream</h1>
        <span className={`pill ${status}`} data-testid="status" data-status={status} role="status">
          <span aria-hidden="true" className="dot" />
          {statusText}
          {state && status !== "connecting" ? (
            <span className="muted updated"> · updated {formatAge(now - state.fetchedAt)}</span>
          ) : null}
        </span>
        <span className="spacer" />
        <span className="user" title={`Region ${region}`} data-testid="user">
          {username}
        </span>
        <button
          type="button"
          className="secondary"
          onClick={() => void auth.signOut()}
          data-testid="signout"
        >
          Sign out
        </button>
      </header>

      <ErrorBanner
        error={failure}
        attempts={instruments.failureCount}
        lastSuccessAt={state?.fetchedAt}
        now={now}
        onRetry={retryNow}
      />

      <main className="layout">
        <section className="panel overview" aria-labelledby="overview-title">
          <div className="panel-head">
            <h2 id="overview-title">Instruments</h2>
          </div>
          <InstrumentList
            list={state ? list : undefined}
            selected={current?.instrument}
            onSelect={select}
            now={now}
            loadFailed={failing && !state}
            watchlist={watchlist}
            selectedHistoryMs={recentPanesHistory(range, paneMs, windowMs)}
          />
        </section>

        <section className="panel detail" aria-labelledby="detail-title">
          <ChartPanel
            view={current}
            now={now}
            range={range}
            onRange={setRange}
            loading={!state}
            apiFailing={failing}
            onRetry={retryNow}
          />
        </section>
      </main>
    </div>
  );
}
