/**
 * What the HTTP API answers with (DESIGN.md "HTTP API"): prices are decimal numbers (cents / 100,
 * exact), times epoch milliseconds. The router produces these shapes and the dashboard reads
 * them; both take them from here. No imports: the dashboard imports this file's types.
 */

/** GET /health */
export interface HealthBody {
  ok: true;
}

/** One element of GET /instruments: the latest tick of an instrument. */
export interface InstrumentItem {
  instrument: string;
  /** Decimal price (price_0). */
  price: number;
  prices: number[];
  level: number | null;
  /** Epoch ms. */
  eventTime: number;
  /** Epoch ms, or null when the record did not say. */
  receivedAt: number | null;
}

/** One element of GET /instruments/{id}/windows: the maximum of one sliding window. */
export interface WindowItem {
  windowStart: number;
  windowEnd: number;
  max: number;
  /** True once the window has closed and was emitted; false while it is still open. */
  final: boolean;
}

/**
 * One pane's candle (or, with `step`, the panes of one step merged). Open and close are the first
 * and last tick by event time (then stream position); count the stream records merged. Prices
 * are decimal in answers (SeriesItem) and cents in the reads behind them.
 */
export interface Candle {
  /** Start of the pane (or of the step), epoch ms. */
  paneStart: number;
  open: number;
  high: number;
  low: number;
  close: number;
  count: number;
}

/** One element of GET /instruments/{id}/series: a candle with decimal prices. */
export interface SeriesItem extends Candle {
  /** The same as `high`, kept for readers of the earlier shape. */
  max: number;
}

/** Body of every 4xx and 5xx answer. */
export interface ErrorBody {
  message: string;
}
