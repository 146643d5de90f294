// @vitest-environment jsdom
import "../test/jsx";
import { focusManager, type QueryClient } from "@tanstack/react-query";
import { act, cleanup, renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApiClient } from "../lib/api";
import { DataProvider, createQueryClient } from "../lib/data";
import { useInstruments } from "./useInstruments";
import { MAX_REQUEST_SPAN_MS, useSeries } from "./useSeries";

const T0 = Date.UTC(2026, 10, 22, 10, 0, 3);
const HOUR = 3_600_000;

/** A candle whose prices all equal its maximum. */
const candle = (paneStart: number, max: number) => ({
  paneStart,
  open: max,
  high: max,
  low: max,
  close: max,
  max,
});

type Handler = (url: URL) => Response | Promise<Response>;

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const tick = (price: number, eventTime: number, instrument = "3") => ({
  instrument,
  price,
  prices: [price],
  level: 1,
  eventTime,
  receivedAt: eventTime,
});

function setup(handler: Handler) {
  const calls: URL[] = [];
  const fetchStub = vi.fn(async (input: string) => {
    const url = new URL(input);
    calls.push(url);
    return handler(url);
  });
  const onExpired = vi.fn();
  const client: QueryClient = createQueryClient(onExpired);
  const api = createApiClient({
    baseUrl: "http://api.test",
    getToken: async () => "token",
    fetch: fetchStub as unknown as typeof fetch,
  });
  const settings = { api, windowMs: 60_000, paneMs: 10_000, now: () => Date.now() };
  const wrapper = ({ children }: { children: ReactNode }) => (
    <DataProvider settings={settings} onSessionExpired={onExpired} client={client}>
      {children}
    </DataProvider>
  );
  return { calls, fetchStub, onExpired, client, wrapper };
}

/** Lets timers and the promises they start run, `ms` of fake time, in small steps. */
async function advance(ms: number) {
  for (let left = ms; left > 0; left -= 250) {
    await act(() => vi.advanceTimersByTimeAsync(Math.min(250, left)));
  }
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  focusManager.setFocused(true);
});
afterEach(() => {
  cleanup();
  focusManager.setFocused(undefined);
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("useInstruments", () => {
  it("polls every second and keeps the previous tick for the change", async () => {
    const answers = [[tick(100, T0 - 500)], [tick(100, T0 - 500)], [tick(101.25, T0 + 1500)]];
    const { calls, wrapper } = setup(() =>
      json(answers[Math.min(calls.length - 1, answers.length - 1)]),
    );
    const { result } = renderHook(() => useInstruments(), { wrapper });

    await advance(10);
    expect(calls).toHaveLength(1);
    expect(result.current.data?.list[0]).toMatchObject({ instrument: "3", currentCents: 10000 });

    await advance(1000);
    expect(calls).toHaveLength(2);
    await advance(1000);
    expect(calls).toHaveLength(3);
    expect(result.current.data?.list[0]).toMatchObject({
      currentCents: 10125,
      previous: { cents: 10000 },
    });
  });

  it("does not poll while the tab is hidden, and catches up when it is shown", async () => {
    const { calls, wrapper } = setup(() => json([tick(100, T0)]));
    renderHook(() => useInstruments(), { wrapper });
    await advance(10);
    expect(calls).toHaveLength(1);

    act(() => focusManager.setFocused(false));
    await advance(10_000);
    expect(calls).toHaveLength(1);

    act(() => focusManager.setFocused(true));
    await advance(10);
    expect(calls).toHaveLength(2);
    await advance(1000);
    expect(calls).toHaveLength(3);
  });

  it("backs off exponentially while the API is down, shows the failure, and recovers", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0); // smallest delays: the worst case for request counts
    let down = false;
    const { calls, wrapper } = setup(() =>
      down ? json({ message: "Service Unavailable" }, 503) : json([tick(100, T0)]),
    );
    // read what the dashboard reads (TanStack Query re-renders only for properties that are read)
    const { result } = renderHook(
      () => {
        const q = useInstruments();
        return { data: q.data, failureCount: q.failureCount, failureReason: q.failureReason };
      },
      { wrapper },
    );
    await advance(10);
    expect(result.current.data?.list).toHaveLength(1);

    down = true;
    const before = calls.length;
    await advance(30_000);
    const during = calls.length - before;
    // one request a second would be 30; backoff (0.5, 1, 2, 4, 5, 5 … s) keeps it to about 9
    expect(during).toBeGreaterThanOrEqual(5);
    expect(during).toBeLessThanOrEqual(10);
    expect(result.current.failureCount).toBeGreaterThanOrEqual(5);
    expect(String(result.current.failureReason)).toMatch(/503/);
    expect(result.current.data?.list).toHaveLength(1); // the last data stays on screen

    down = false;
    await advance(6000);
    expect(result.current.failureCount).toBe(0);
    expect(result.current.failureReason).toBeNull();
    const after = calls.length;
    await advance(3000);
    expect(calls.length - after).toBe(3); // back to one poll a second
  });

  it("ends the session on a 401 that a token refresh does not cure, without retrying", async () => {
    const { calls, onExpired, wrapper } = setup(() => json({ message: "Unauthorized" }, 401));
    const { result } = renderHook(() => useInstruments(), { wrapper });
    await advance(10);
    expect(onExpired).toHaveBeenCalledTimes(1);
    expect(result.current.isError).toBe(true);
    const n = calls.length;
    expect(n).toBe(2); // the request and its one retry with a refreshed token
    await advance(5000);
    expect(onExpired).toHaveBeenCalledTimes(1);
  });
});

describe("useSeries", () => {
  it("fetches the history once, then only the tail, merging by paneStart", async () => {
    const { calls, wrapper } = setup((url) => {
      const from = Number(url.searchParams.get("from"));
      if (calls.length === 1) {
        return json([
          candle(T0 - 3_600_000 + 20_000, 90),
          candle(T0 - 13_000 - 10_000, 99),
          candle(T0 - 3000, 100),
        ]);
      }
      // the open pane grew, and a new pane started
      expect(from).toBeGreaterThanOrEqual(T0 - 100_000);
      return json([candle(T0 - 3000, 100.5), candle(T0 + 7000, 100.25)]);
    });
    const { result } = renderHook(() => useSeries("3", true, HOUR + 60_000), { wrapper });
    await advance(10);
    expect(calls).toHaveLength(1);
    const first = calls[0]!;
    expect(first.pathname).toBe("/instruments/3/series");
    expect(
      Number(first.searchParams.get("to")) - Number(first.searchParams.get("from")),
    ).toBeGreaterThanOrEqual(HOUR + 60_000);

    await advance(10_000);
    expect(calls.length).toBeGreaterThanOrEqual(10);
    for (const c of calls.slice(1)) {
      const span = Number(c.searchParams.get("to")) - Number(c.searchParams.get("from"));
      expect(span).toBeLessThan(4 * 60_000); // a tail, never the hour again
    }
    expect(result.current.data?.panes).toEqual([
      candle(T0 - 3_600_000 + 20_000, 90),
      candle(T0 - 23_000, 99),
      candle(T0 - 3000, 100.5),
      candle(T0 + 7000, 100.25),
    ]);
  });

  it("polls rows every 5 s and the charted instrument every second", async () => {
    const { calls, wrapper } = setup(() => json([]));
    renderHook(() => useSeries("1", false, 60_000), { wrapper });
    await advance(10);
    await advance(10_000);
    expect(calls).toHaveLength(3);
  });

  it("asks for a day of 4-min candles in one request of at most 24 hours, with the step", async () => {
    const { calls, wrapper } = setup(() => json([]));
    renderHook(() => useSeries("1", true, 24 * HOUR, 240_000), { wrapper });
    await advance(10);
    expect(calls).toHaveLength(1);
    const [c] = calls;
    const from = Number(c!.searchParams.get("from"));
    const to = Number(c!.searchParams.get("to"));
    expect(c!.searchParams.get("step")).toBe("240000");
    expect(to - from).toBeLessThanOrEqual(MAX_REQUEST_SPAN_MS);
    expect(to).toBeGreaterThan(T0);
    expect(from).toBeLessThanOrEqual(T0 - 24 * HOUR + 5 * 60_000);
    expect(from % 240_000).toBe(0);

    // later polls ask for the tail only, from the start of a 4-min candle, with the same step
    await advance(3000);
    for (const t of calls.slice(1)) {
      expect(t.searchParams.get("step")).toBe("240000");
      expect(Number(t.searchParams.get("from")) % 240_000).toBe(0);
      expect(Number(t.searchParams.get("to")) - Number(t.searchParams.get("from"))).toBeLessThan(
        10 * 60_000,
      );
    }
    expect(calls.length).toBeGreaterThan(1);
  });

  it("keeps one history per length: the rows' single window and the chart's range apart", async () => {
    const { calls, wrapper } = setup(() => json([]));
    renderHook(
      () => {
        useSeries("1", false, 60_000);
        useSeries("1", true, HOUR + 60_000);
      },
      { wrapper },
    );
    await advance(10);
    const spans = calls.map(
      (c) => Number(c.searchParams.get("to")) - Number(c.searchParams.get("from")),
    );
    spans.sort((a, b) => a - b);
    expect(spans).toHaveLength(2);
    expect(spans[0]).toBeLessThan(3 * 60_000);
    expect(spans[1]).toBeGreaterThanOrEqual(HOUR + 60_000);
  });
});
