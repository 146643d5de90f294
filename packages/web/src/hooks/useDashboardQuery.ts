"use client";

import { useCallback, useMemo, useSyncExternalStore } from "react";
import { changeSignal } from "../lib/change-signal";
import { formatDashboardQuery, parseDashboardQuery, type DashboardQuery } from "../lib/url-state";

const addressBar = changeSignal("popstate");

const readSearch = () => window.location.search;
// The server renders no query: the page hydrates with the defaults, then reads the address bar.
const serverSearch = () => "";

/**
 * The selected instrument and chart range, kept in the address bar. Changes replace the current
 * history entry (Next.js keeps its router in step with `history.replaceState`): the back button
 * leaves the dashboard instead of stepping through every click.
 */
export function useDashboardQuery(): [DashboardQuery, (change: Partial<DashboardQuery>) => void] {
  const search = useSyncExternalStore(addressBar.subscribe, readSearch, serverSearch);
  const query = useMemo(() => parseDashboardQuery(search), [search]);
  const update = useCallback((change: Partial<DashboardQuery>) => {
    const current = window.location.search;
    const next = formatDashboardQuery({ ...parseDashboardQuery(current), ...change }, current);
    if (next === current) return;
    window.history.replaceState(
      null,
      "",
      `${window.location.pathname}${next}${window.location.hash}`,
    );
    addressBar.notify();
  }, []);
  return [query, update];
}
