import { ApiError, BadResponseError, NetworkError, SessionExpiredError } from "./api";

/** How often the dashboard polls while the tab is visible. */
export const POLL_MS = 1000;
/** Poll interval for data that is not on screen in detail (the other instruments' panes). */
export const BACKGROUND_POLL_MS = 5000;
/** Retry delays double from this... */
export const BACKOFF_BASE_MS = 1000;
/** ...up to this cap. */
export const BACKOFF_MAX_MS = 10_000;

/** Errors worth retrying: the API or the network may come back. Client errors (400, 404) and an ended session are not. */
export function isTransient(error: unknown): boolean {
  if (error instanceof SessionExpiredError) return false;
  if (error instanceof NetworkError) return true;
  if (error instanceof ApiError)
    return error.status >= 500 || error.status === 429 || error.status === 408;
  if (error instanceof BadResponseError) return true;
  return true;
}

/** TanStack Query `retry`: keep retrying transient failures (with backoff), never the others. */
export function shouldRetry(_failureCount: number, error: unknown): boolean {
  return isTransient(error);
}

/**
 * TanStack Query `retryDelay`: exponential backoff with "equal jitter": attempt 0 waits 0.5–1 s,
 * then 1–2 s, 2–4 s, 4–8 s, and 5–10 s from then on. The jitter keeps many open dashboards from
 * retrying in lockstep after an outage.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * TanStack Query `refetchInterval` for a poll of `ms`: stops once the session has ended, slows
 * to once a minute after a client error (400, 404) that asking again will not fix.
 */
export function pollEvery(ms: number) {
  return (query: { state: { error: unknown; status: string } }): number | false => {
    const { error, status } = query.state;
    if (status !== "error") return ms;
    if (error instanceof SessionExpiredError) return false;
    return isTransient(error) ? ms : 60_000;
  };
}

/** Describes a failure for people, without stack traces. */
export function describeError(error: unknown): string {
  if (error instanceof NetworkError) return error.message;
  if (error instanceof ApiError) {
    if (error.status >= 500) return `The API failed (HTTP ${error.status}).`;
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

/** An instrument is stale when its newest tick is older than this. */
export const STALE_AFTER_MS = 15_000;
