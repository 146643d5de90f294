import { DEFAULT_RANGE, isRangeKey, type RangeKey } from "./ranges";

/**
 * What the address bar keeps of the dashboard, so that a reload or a shared link shows the same
 * instrument and range: `?instrument=AAPL&range=1h`.
 */
export interface DashboardQuery {
  /** undefined: none chosen (the dashboard shows the first instrument). */
  instrument?: string;
  range: RangeKey;
}

/** Longer values are not instrument ids: ignored rather than echoed into the page. */
const MAX_INSTRUMENT_CHARS = 128;

/** Reads a query string (with or without its "?"); unknown or malformed values fall back to defaults. */
export function parseDashboardQuery(search: string): DashboardQuery {
  const params = new URLSearchParams(search);
  const instrument = params.get("instrument")?.trim();
  const range = params.get("range");
  return {
    ...(instrument && instrument.length <= MAX_INSTRUMENT_CHARS ? { instrument } : {}),
    range: isRangeKey(range) ? range : DEFAULT_RANGE,
  };
}

/**
 * The query string for `query`, keeping any other parameters of `current` as they are. Returns
 * "" or a string starting with "?".
 */
export function formatDashboardQuery(query: DashboardQuery, current = ""): string {
  const params = new URLSearchParams(current);
  if (query.instrument) params.set("instrument", query.instrument);
  else params.delete("instrument");
  params.set("range", query.range);
  const text = params.toString();
  return text ? `?${text}` : "";
}
