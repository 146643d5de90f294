"use client";

import { useCallback, useMemo, useState, useSyncExternalStore } from "react";
import { changeSignal } from "../lib/change-signal";
import {
  parseWatchlist,
  readStored,
  toggleInstrument,
  watchlistKey,
  writeStored,
} from "../lib/watchlist";

// "storage": another tab of the same browser changed it
const changes = changeSignal("storage");

const storage = (): Storage | undefined =>
  typeof window === "undefined" ? undefined : window.localStorage;

export interface Watchlist {
  /** Instrument ids, in the order they were starred. */
  list: string[];
  /** The same ids, to look up. */
  watched: ReadonlySet<string>;
  toggle(instrument: string): void;
}

/** The signed-in user's watchlist, shared by every tab of this browser. */
export function useWatchlist(username: string): Watchlist {
  const key = watchlistKey(username);
  const stored = useSyncExternalStore(
    changes.subscribe,
    () => readStored(storage(), key),
    () => null,
  );
  // Where storage refuses writes the list still works, for as long as the page is open.
  const [unstored, setUnstored] = useState<string[] | null>(null);
  const list = useMemo(() => unstored ?? parseWatchlist(stored), [unstored, stored]);
  const watched = useMemo(() => new Set(list), [list]);

  const toggle = useCallback(
    (instrument: string) => {
      const next = toggleInstrument(list, instrument);
      if (writeStored(storage(), key, next)) {
        setUnstored(null);
        changes.notify();
      } else {
        setUnstored(next);
      }
    },
    [key, list],
  );
  return { list, watched, toggle };
}
