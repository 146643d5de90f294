"use client";

import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createContext, useContext, useState, type ReactNode } from "react";
import { SessionExpiredError, type ApiClient } from "./api";
import { backoffDelay, shouldRetry } from "./polling";

export interface DataSettings {
  api: ApiClient;
  windowMs: number;
  paneMs: number;
  /** The browser clock; replaceable in tests. */
  now: () => number;
}

const DataContext = createContext<DataSettings | null>(null);

export function useDataSettings(): DataSettings {
  const value = useContext(DataContext);
  if (!value) throw new Error("useDataSettings outside <DataProvider>");
  return value;
}

export function createQueryClient(onSessionExpired: (message: string) => void): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({
      onError(error) {
        if (error instanceof SessionExpiredError) onSessionExpired(error.message);
      },
    }),
    defaultOptions: {
      queries: {
        // Transient failures are retried for as long as they last, with exponential backoff:
        // the failing query keeps one request in flight at most, never a storm.
        retry: shouldRetry,
        retryDelay: (attempt) => backoffDelay(attempt),
        refetchIntervalInBackground: false,
        refetchOnWindowFocus: true,
        staleTime: 0,
        gcTime: 15 * 60_000,
        // States are built incrementally and keep unchanged objects themselves.
        structuralSharing: false,
      },
    },
  });
}

export function DataProvider({
  settings,
  onSessionExpired,
  client,
  children,
}: {
  settings: DataSettings;
  onSessionExpired: (message: string) => void;
  /** A ready client (tests); by default one is made per provider. */
  client?: QueryClient;
  children: ReactNode;
}) {
  const [queryClient] = useState(() => client ?? createQueryClient(onSessionExpired));
  return (
    <QueryClientProvider client={queryClient}>
      <DataContext.Provider value={settings}>{children}</DataContext.Provider>
    </QueryClientProvider>
  );
}
