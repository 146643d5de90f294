/**
 * The stock-trade records of the Kinesis Data Analytics tutorials' Python producer:
 *   {"EVENT_TIME": "2026-11-22T10:00:00.123456", "TICKER": "AAPL", "PRICE": 84.51}
 * EVENT_TIME is UTC with microseconds, PRICE is random in [0, 100) rounded to 2 decimals,
 * formatted the way Python's json.dumps writes it (core's `encodeJson`).
 */
import { encodeJson } from "@tickstream/core/ticks/encode";
import { isValidInstrument } from "@tickstream/core/ticks/instrument";
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
  if (min < 0) throw new Error(`the price range starts below zero (${min}); prices are never negative`);
  const invalid = tickers.find((t) => !isValidInstrument(t));
  if (invalid !== undefined) {
    throw new Error(`ticker ${JSON.stringify(invalid)} is not a valid instrument id (1-64 of A-Z a-z 0-9 . _ - ~ : ^ = + @ !)`);
  }
  return (now) => {
    const priceCents = Math.round((min + rng.next() * (max - min)) * 100);
    const microseconds = rng.int(0, 999);
    const instrument = tickers[rng.int(0, tickers.length - 1)]!;
    return encodeJson({ instrument, eventTime: now, pricesCents: [priceCents] }, { microseconds });
  };
}
