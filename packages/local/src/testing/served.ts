import { expect } from "vitest";
import type { LocalOutputs } from "../outputs.js";
import {
  expectedLatest,
  expectedSeries,
  expectedWindows,
  getJson,
  type SentTick,
} from "./scenario.js";

/**
 * What the API serves, checked against brute-force answers over the ticks sent. Windows and
 * series are asked for over the range the expected answer covers.
 */

export interface LatestAnswer {
  instrument: string;
  price: number;
  eventTime: number;
}

/** GET /instruments: the latest price of every instrument. */
export function getLatest(o: LocalOutputs, token: string) {
  return getJson<LatestAnswer[]>(o, "/instruments", token);
}

/** The latest prices served for `instruments` (every one when not given) equal those of `ticks`. */
export async function expectLatestServed(
  o: LocalOutputs,
  token: string,
  ticks: SentTick[],
  instruments?: readonly string[],
): Promise<void> {
  const { status, body } = await getLatest(o, token);
  expect(status).toBe(200);
  const served = instruments ? body.filter((l) => instruments.includes(l.instrument)) : body;
  expect(
    served.map(({ instrument, price, eventTime }) => ({ instrument, price, eventTime })),
  ).toEqual(expectedLatest(ticks));
}

/** Closed windows as emitted, open ones from their panes: start, end and maximum as computed. */
export async function expectWindowsServed(
  o: LocalOutputs,
  token: string,
  ticks: SentTick[],
  instrument: string,
  window: { sizeMs: number; slideMs: number },
): Promise<void> {
  const expected = expectedWindows(ticks, instrument, window.sizeMs, window.slideMs);
  const from = expected[0]!.windowStart;
  const to = expected[expected.length - 1]!.windowStart + 1;
  const { status, body } = await getJson<{ windowStart: number; windowEnd: number; max: number }[]>(
    o,
    `/instruments/${instrument}/windows?from=${from}&to=${to}`,
    token,
  );
  expect(status, instrument).toBe(200);
  expect(
    body.map(({ windowStart, windowEnd, max }) => ({ windowStart, windowEnd, max })),
    instrument,
  ).toEqual(expected);
}

/** Every pane's candle as computed. */
export async function expectSeriesServed(
  o: LocalOutputs,
  token: string,
  ticks: SentTick[],
  instrument: string,
  slideMs: number,
): Promise<void> {
  const expected = expectedSeries(ticks, instrument, slideMs);
  const from = expected[0]!.paneStart;
  const to = expected[expected.length - 1]!.paneStart + 1;
  const { status, body } = await getJson<typeof expected>(
    o,
    `/instruments/${instrument}/series?from=${from}&to=${to}`,
    token,
  );
  expect(status, instrument).toBe(200);
  expect(body, instrument).toEqual(expected);
}
