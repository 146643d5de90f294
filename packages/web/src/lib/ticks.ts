import type { InstrumentTick } from "./api";
import { toCents } from "./format";

/**
 * What the dashboard remembers between polls of GET /instruments. The API only returns the
 * newest tick of each instrument, so the previous tick (for the change arrow) and the price line
 * of the chart are kept here, on the client, for as long as the page is open.
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
  /** Observed ticks per instrument, oldest first, deduplicated by event time. */
  history: Record<string, SeenTick[]>;
  /** Browser time of the last successful poll. */
  fetchedAt: number;
}

export interface IngestOptions {
  /** Forget observed ticks older than this (relative to the newest tick); default 1 h 5 min. */
  keepMs?: number;
  /** At most this many observed ticks per instrument; default 4000. */
  maxPoints?: number;
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
  opts: IngestOptions = {},
): InstrumentsState {
  const keepMs = opts.keepMs ?? 65 * 60_000;
  const maxPoints = opts.maxPoints ?? 4000;
  const before = new Map(prev?.list.map((v) => [v.instrument, v]));
  const history: Record<string, SeenTick[]> = {};
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

    const oldHistory = prev?.history[tick.instrument] ?? [];
    const last = oldHistory[oldHistory.length - 1];
    let h = oldHistory;
    if (!last || view.current.eventTime > last.t) {
      h = [...oldHistory, { t: view.current.eventTime, cents: view.currentCents }];
    } else if (view.current.eventTime === last.t && last.cents !== view.currentCents) {
      // same event time, later processing won: replace the point
      h = [...oldHistory.slice(0, -1), { t: last.t, cents: view.currentCents }];
    }
    const horizon = view.current.eventTime - keepMs;
    let drop = 0;
    while (drop < h.length && (h[drop]!.t < horizon || h.length - drop > maxPoints)) drop++;
    history[tick.instrument] = drop > 0 ? h.slice(drop) : h;
  }

  list.sort((a, b) => compareInstruments(a.instrument, b.instrument));
  return { list, history, fetchedAt: now };
}
