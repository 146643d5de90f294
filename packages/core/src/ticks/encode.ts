import { MAX_CENTS } from "./decimal.js";
import { isValidInstrument } from "./instrument.js";
import { MAX_LEVEL, MAX_PRICE_LEVELS } from "./result.js";
import { MAX_EPOCH_MS } from "./time.js";

/**
 * Builds input records of both formats from tick fields: the one place that writes them, for
 * the local generator, the producer, the benchmarks and the tests, so that what they send is
 * always what the decoder (`decode.ts`) reads back unchanged.
 *
 * - Pipe, as the Kinesis Data Generator template of the seed renders it:
 *   `session=20261122|sequence=1763800000123|reception=1763800000150|instrument=3|l=7|price_0=12345|…|`
 *   (`reception` and `l` only when the tick has them).
 * - JSON stock trade, as the Python generator of the Kinesis Data Analytics tutorials writes it
 *   with `json.dumps`: `{"EVENT_TIME": "2026-11-22T10:00:00.123456", "TICKER": "AAPL", "PRICE": 84.51}`
 *   EVENT_TIME is UTC without a zone, with microseconds; PRICE is the decimal of the cents as
 *   Python prints a float (84.5, 84.0), written from the integer, never through float arithmetic.
 *
 * A tick the decoder would refuse (bad instrument id, a time or price out of range, a fraction
 * of a cent) is refused here with an error naming the field, rather than sent.
 */

/** The fields of a pipe record. `receivedAt` and `level` are left out when null or absent. */
export interface PipeTick {
  instrument: string;
  /** Epoch ms: `sequence`. */
  eventTime: number;
  /** Epoch ms: `reception`. */
  receivedAt?: number | null;
  /** Book level: `l`. */
  level?: number | null;
  /** Integer cents: `price_0` … `price_N`. */
  pricesCents: readonly number[];
}

export interface PipeOptions {
  /**
   * The `session` field (the template's trading day, YYYYMMDD), which the decoder skips.
   * Default: the UTC day of the event time.
   */
  session?: string;
}

/** The fields of a stock trade. PRICE is `pricesCents[0]`, the price that counts; the rest is not written. */
export interface TradeTick {
  instrument: string;
  /** Epoch ms: EVENT_TIME. */
  eventTime: number;
  pricesCents: readonly number[];
}

export interface TradeOptions {
  /**
   * Microseconds within the millisecond (0-999), the last three digits of EVENT_TIME's fraction.
   * The generator writes them; the decoder truncates them. Default 0.
   */
  microseconds?: number;
}

export type RecordFormat = "pipe" | "json";

/** `session=…|sequence=…|reception=…|instrument=…|l=…|price_0=…|…|price_N=…|` */
export function encodePipe(tick: PipeTick, options: PipeOptions = {}): string {
  checkInstrument(tick.instrument);
  checkInteger("eventTime", tick.eventTime, MAX_EPOCH_MS);
  const prices = tick.pricesCents;
  if (prices.length === 0 || prices.length > MAX_PRICE_LEVELS) {
    throw new RangeError(`a pipe record holds 1 to ${MAX_PRICE_LEVELS} prices, not ${prices.length}`);
  }
  const session = options.session ?? utcDay(tick.eventTime);
  checkSession(session);
  let s = `session=${session}|sequence=${tick.eventTime}|`;
  if (tick.receivedAt != null) {
    checkInteger("receivedAt", tick.receivedAt, MAX_EPOCH_MS);
    s += `reception=${tick.receivedAt}|`;
  }
  s += `instrument=${tick.instrument}|`;
  if (tick.level != null) {
    checkInteger("level", tick.level, MAX_LEVEL);
    s += `l=${tick.level}|`;
  }
  for (let i = 0; i < prices.length; i++) {
    const cents = prices[i]!;
    checkInteger(`pricesCents[${i}]`, cents, MAX_CENTS);
    s += `price_${i}=${cents}|`;
  }
  return s;
}

/** `{"EVENT_TIME": "2026-11-22T10:00:00.123456", "TICKER": "AAPL", "PRICE": 84.51}` */
export function encodeJson(tick: TradeTick, options: TradeOptions = {}): string {
  checkInstrument(tick.instrument);
  checkInteger("eventTime", tick.eventTime, MAX_EPOCH_MS);
  const cents = tick.pricesCents[0];
  if (cents === undefined) throw new RangeError("a stock trade needs a price (pricesCents[0])");
  checkInteger("pricesCents[0]", cents, MAX_CENTS);
  const micros = options.microseconds ?? 0;
  checkInteger("microseconds", micros, 999);
  const time = `${new Date(tick.eventTime).toISOString().slice(0, 23)}${String(micros).padStart(3, "0")}`;
  // An instrument id never needs escaping in a JSON string (see instrument.ts).
  return `{"EVENT_TIME": "${time}", "TICKER": "${tick.instrument}", "PRICE": ${pythonPrice(cents)}}`;
}

/** A record of either format. */
export function encodeTick(tick: PipeTick, format: RecordFormat): string {
  return format === "pipe" ? encodePipe(tick) : encodeJson(tick);
}

/** Cents as Python's repr of the float cents / 100: 8451 -> "84.51", 8450 -> "84.5", 8400 -> "84.0". */
function pythonPrice(cents: number): string {
  const whole = Math.floor(cents / 100);
  const frac = cents % 100;
  if (frac === 0) return `${whole}.0`;
  if (frac % 10 === 0) return `${whole}.${frac / 10}`;
  return `${whole}.${frac < 10 ? "0" : ""}${frac}`;
}

/** YYYYMMDD of an epoch-ms time, in UTC. */
function utcDay(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, "0")}${String(d.getUTCDate()).padStart(2, "0")}`;
}

function checkInstrument(id: string): void {
  if (!isValidInstrument(id)) {
    throw new RangeError(`instrument ${JSON.stringify(id)} is not a valid instrument id (1-64 of A-Z a-z 0-9 . _ - ~ : ^ = + @ !)`);
  }
}

/** The decoder skips the value, but a `|` would cut the record and a control character spoil it. */
function checkSession(session: string): void {
  for (let i = 0; i < session.length; i++) {
    const c = session.charCodeAt(i);
    if (c === 0x7c || c < 0x20 || c === 0x7f) {
      throw new RangeError(`session ${JSON.stringify(session)} holds a '|' or a control character`);
    }
  }
}

function checkInteger(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer from 0 to ${max}, not ${value}`);
  }
}
