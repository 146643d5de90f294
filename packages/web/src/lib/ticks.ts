import type { InstrumentTick } from "./api";
import { toCents } from "./format";

/**
 * What the dashboard remembers between polls of GET /instruments. The API only returns the
 * newest tick of each instrument, so the previous tick (for the change arrow) is kept here, on
 * the client. The chart's history comes from the series API, not from what the page polled.
 */

/** One observed tick: event time and price_0 in cents. */
export interface SeenTick {
  t: number;
  cents: number;
}

export interface InstrumentView {
  instrument: string;
  current: InstrumentTick;
  currentCents: number;
  /** The tick shown before the current one, if this page has seen one. */
  previous?: SeenTick;
  /** Wall-clock time (browser) when this page first saw the current tick. */
  seenAt: number;
}

export interface InstrumentsState {
  list: InstrumentView[];
  /** Browser time of the last successful poll. */
  fetchedAt: number;
}

const collator = new Intl.Collator("en", { numeric: true });

export function compareInstruments(a: string, b: string): number {
  return collator.compare(a, b);
}

function sameTick(a: InstrumentTick, b: InstrumentTick): boolean {
  return a.eventTime === b.eventTime && a.price === b.price && a.receivedAt === b.receivedAt;
}

/**
 * Folds one GET /instruments answer into the state. Pure: returns a new state, and keeps the
 * old objects where nothing changed (so React skips work).
 */
export function ingestInstruments(
  prev: InstrumentsState | undefined,
  ticks: readonly InstrumentTick[],
  now: number,
): InstrumentsState {
  const before = new Map(prev?.list.map((v) => [v.instrument, v]));
  const list: InstrumentView[] = [];

  for (const tick of ticks) {
    const old = before.get(tick.instrument);
    const cents = toCents(tick.price);
    let view: InstrumentView;
    if (!old) {
      view = { instrument: tick.instrument, current: tick, currentCents: cents, seenAt: now };
    } else if (sameTick(old.current, tick)) {
      view = old;
    } else if (tick.eventTime < old.current.eventTime) {
      // An older tick than the one shown (should not happen: the API keeps the newest). Ignore it.
      view = old;
    } else {
      view = {
        instrument: tick.instrument,
        current: tick,
        currentCents: cents,
        previous: { t: old.current.eventTime, cents: old.currentCents },
        seenAt: now,
      };
    }
    list.push(view);
  }

  list.sort((a, b) => compareInstruments(a.instrument, b.instrument));
  return { list, fetchedAt: now };
}
