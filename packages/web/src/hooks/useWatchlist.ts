"use client";

import { useCallback, useMemo, useState, useSyncExternalStore } from "react";
import {
  parseWatchlist,
  readStored,
  toggleInstrument,
  watchlistKey,
  writeStored,
} from "../lib/watchlist";

const listeners = new Set<() => void>();

function subscribe(onChange: () => void): () => void {
  listeners.add(onChange);
  // another tab of the same browser changed it
  window.addEventListener("storage", onChange);
  return () => {
    listeners.delete(onChange);
    window.removeEventListener("storage", onChange);
  };
}

const storage = (): Storage | undefined =>
  typeof window === "undefined" ? undefined : window.localStorage;

export interface Watchlist {
  /** Instrument ids, in the order they were starred. */
  list: string[];
  has(instrument: string): boolean;
  toggle(instrument: string): void;
}

/** The signed-in user's watchlist, shared by every tab of this browser. */
export function useWatchlist(username: string): Watchlist {
  const key = watchlistKey(username);
  const stored = useSyncExternalStore(
    subscribe,
    () => readStored(storage(), key),
    () => null,
  );
  // Where storage refuses writes the list still works, for as long as the page is open.
  const [unstored, setUnstored] = useState<string[] | null>(null);
  const list = useMemo(() => unstored ?? parseWatchlist(stored), [unstored, stored]);
  const set = useMemo(() => new Set(list), [list]);

  const toggle = useCallback(
    (instrument: string) => {
      const next = toggleInstrument(list, instrument);
      if (writeStored(storage(), key, next)) {
        setUnstored(null);
        for (const listener of listeners) listener();
      } else {
        setUnstored(next);
      }
    },
    [key, list],
  );
  return { list, has: (instrument) => set.has(instrument), toggle };
}
