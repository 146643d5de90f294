/**
 * The stock-trade records of the Kinesis Data Analytics tutorials' Python producer:
 *   {"EVENT_TIME": "2026-11-22T10:00:00.123456", "TICKER": "AAPL", "PRICE": 84.51}
 * EVENT_TIME is UTC with microseconds, PRICE is random in [0, 100) rounded to 2 decimals,
 * formatted the way Python's json.dumps writes it.
 */
import type { Rng } from "./random.js";

export const DEFAULT_TICKERS = ["AAPL", "AMZN", "MSFT", "INTC", "TBV"] as const;

export interface StockOptions {
  tickers?: readonly string[];
  /** Price range, default [0, 100) as in the tutorials. */
  minPrice?: number;
  maxPrice?: number;
}

export function stockTradeGenerator(rng: Rng, options: StockOptions = {}): (now: number) => string {
  const tickers = options.tickers?.length ? options.tickers : DEFAULT_TICKERS;
  const min = options.minPrice ?? 0;
  const max = options.maxPrice ?? 100;
  if (!(max > min)) throw new Error(`the price range is empty (${min} .. ${max})`);
  const encoded = tickers.map((t) => JSON.stringify(t));
  return (now) => {
    const price = Math.round((min + rng.next() * (max - min)) * 100) / 100;
    const micros = String(rng.int(0, 999)).padStart(3, "0");
    const time = new Date(now).toISOString().slice(0, 23) + micros;
    return `{"EVENT_TIME": "${time}", "TICKER": ${encoded[rng.int(0, encoded.length - 1)]}, "PRICE": ${pythonFloat(price)}}`;
  };
}

/** Python's repr of a float: always a decimal point (84.0, not 84). */
function pythonFloat(value: number): string {
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}
