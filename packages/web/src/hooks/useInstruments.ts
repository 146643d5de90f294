"use client";

import { useQuery } from "@tanstack/react-query";
import { useDataSettings } from "../lib/data";
import { POLL_MS, pollEvery } from "../lib/polling";
import { ingestInstruments, type InstrumentsState } from "../lib/ticks";

export const instrumentsKey = ["instruments"] as const;

/**
 * The latest tick of every instrument, polled every second while the tab is visible. Each answer
 * is folded into the previous state, so the change against the previous tick and the observed
 * price line survive across polls.
 */
export function useInstruments() {
  const { api, now } = useDataSettings();
  return useQuery({
    queryKey: instrumentsKey,
    queryFn: async ({ client, signal }) => {
      const ticks = await api.instruments(signal);
      return ingestInstruments(client.getQueryData<InstrumentsState>(instrumentsKey), ticks, now());
    },
    refetchInterval: pollEvery(POLL_MS),
  });
}
