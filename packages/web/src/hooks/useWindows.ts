"use client";

import { useQuery } from "@tanstack/react-query";
import { useDataSettings } from "../lib/data";
import { BACKGROUND_POLL_MS, pollEvery } from "../lib/polling";

/**
 * The most recent windows of one instrument as the windows consumer stores them: closed windows
 * exactly as emitted (final) and open ones as they stand. Only the last few minutes are asked for.
 */
export function useRecentWindows(instrument: string | undefined) {
  const { api, now, windowMs } = useDataSettings();
  return useQuery({
    queryKey: ["windows", instrument ?? ""],
    enabled: instrument !== undefined,
    queryFn: ({ signal }) => {
      const t = now();
      return api.windows(instrument!, t - 3 * windowMs, t + 60_000, signal);
    },
    refetchInterval: pollEvery(BACKGROUND_POLL_MS),
  });
}
