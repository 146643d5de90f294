import { describe, expect, it, vi } from "vitest";
import { createMemoryLatestStore } from "../latest/memory-store.js";
import { decodeBatch } from "../kinesis/batch.js";
import { toKinesisRecord } from "../kinesis/records.js";
import { createApiRouter, matchRoute, parseRange, type WindowsReader } from "./router.js";

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const HOUR = 3_600_000;

async function setup(windows?: Partial<WindowsReader>) {
  const latest = createMemoryLatestStore();
  const lines = [
    "sequence=1763800000123|reception=1763800000150|instrument=3|l=7|price_0=12345|price_1=10001|",
    "sequence=1763800000200|instrument=10|price_0=5|",
    "sequence=1763800000300|instrument=2|price_0=100000|",
  ];
  await latest.writeLatest(
    decodeBatch(lines.map((l, i) => toKinesisRecord(l, { shardId: "shardId-000000000000", sequenceNumber: String(i + 1), arrivalTime: 1763800001000 }))).ticks,
  );
  const calls: Array<[string, string, number, number] | [string, string, number, number, number | undefined]> = [];
  const reader: WindowsReader = {
    slideMs: 10_000,
    queryWindows: async (id, from, to) => {
      calls.push(["windows", id, from, to]);
      return [
        { windowStart: from + 20_000, windowEnd: from + 80_000, maxCents: 12345, final: false },
        { windowStart: from + 10_000, windowEnd: from + 70_000, maxCents: 1, final: true },
      ];
    },
    querySeries: async (id, from, to, step) => {
      calls.push(["series", id, from, to, step]);
      return [
        { paneStart: from + 10_000, open: 12, high: 20, low: 5, close: 7, count: 4 },
        { paneStart: from, open: 10, high: 10, low: 10, close: 10, count: 1 },
      ];
    },
    ...windows,
  };
  const onError = vi.fn();
  const router = createApiRouter({ latest, windows: reader, now: () => NOW, onError });
  return { router, calls, onError };
}

describe("API router", () => {
  it("GET /health", async () => {
    const { router } = await setup();
    expect(await router({ routeKey: "GET /health" })).toEqual({ statusCode: 200, body: { ok: true } });
  });

  it("GET /instruments and its alias GET /data: latest ticks, decimal prices, numeric id order", async () => {
    const { router } = await setup();
    const res = await router({ routeKey: "GET /instruments" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toEqual([
      { instrument: "2", price: 1000, prices: [1000], level: null, eventTime: 1763800000300, receivedAt: null },
      { instrument: "3", price: 123.45, prices: [123.45, 100.01], level: 7, eventTime: 1763800000123, receivedAt: 1763800000150 },
      { instrument: "10", price: 0.05, prices: [0.05], level: null, eventTime: 1763800000200, receivedAt: null },
    ]);
    expect(JSON.stringify(res.body)).toContain('"price":123.45');
    expect(await router({ routeKey: "GET /data" })).toEqual(res);
  });

  it("GET /instruments/{id}/windows: shapes, oldest first, default range = the last hour", async () => {
    const { router, calls } = await setup();
    const res = await router({ routeKey: "GET /instruments/{id}/windows", pathParameters: { id: "3" } });
    expect(res).toEqual({
      statusCode: 200,
      body: [
        { windowStart: NOW - HOUR + 10_000, windowEnd: NOW - HOUR + 70_000, max: 0.01, final: true },
        { windowStart: NOW - HOUR + 20_000, windowEnd: NOW - HOUR + 80_000, max: 123.45, final: false },
      ],
    });
    expect(calls).toEqual([["windows", "3", NOW - HOUR, NOW]]);
  });

  it("GET /instruments/{id}/series with from and to", async () => {
    const { router, calls } = await setup();
    const res = await router({
      routeKey: "GET /instruments/{id}/series",
      pathParameters: { id: "10" },
      queryStringParameters: { from: "1000", to: "2000" },
    });
    expect(res).toEqual({
      statusCode: 200,
      body: [
        { paneStart: 1000, open: 0.1, high: 0.1, low: 0.1, close: 0.1, count: 1, max: 0.1 },
        { paneStart: 11_000, open: 0.12, high: 0.2, low: 0.05, close: 0.07, count: 4, max: 0.2 },
      ],
    });
    expect(calls).toEqual([["series", "10", 1000, 2000, undefined]]);
  });

  it("GET /instruments/{id}/series with a step: a positive multiple of the pane length, else 400", async () => {
    const { router, calls } = await setup();
    const ask = (step: string) => router({ routeKey: "GET /instruments/{id}/series", pathParameters: { id: "3" }, queryStringParameters: { from: "0", to: String(HOUR), step } });
    expect((await ask("60000")).statusCode).toBe(200);
    expect((await ask("10000")).statusCode).toBe(200);
    expect(calls.map((c) => c[4])).toEqual([60_000, 10_000]);
    for (const bad of ["0", "-10000", "1.5", "abc", "", "15000", String(25 * HOUR), "99999999999999999"]) {
      const res = await ask(bad);
      expect(res.statusCode, bad).toBe(400);
      expect((res.body as { message: string }).message, bad).toMatch(/^step: /);
    }
    expect((await ask("15000")).body).toEqual({ message: "step: must be a multiple of the pane length, 10000 ms" });
    expect(calls).toHaveLength(2);
  });

  it("400 for bad parameters, with a message", async () => {
    const { router } = await setup();
    const ask = (q: Record<string, string>, id = "3") => router({ routeKey: "GET /instruments/{id}/windows", pathParameters: { id }, queryStringParameters: q });
    const cases: Array<Record<string, string>> = [{ from: "abc" }, { from: "-5" }, { from: "1.5" }, { to: "" }, { from: "2000", to: "1000" }, { from: "1000", to: "1000" }, { from: "0", to: String(24 * HOUR + 1) }, { from: "99999999999999999" }, { from: String(NOW + 1) }];
    for (const q of cases) {
      const res = await ask(q);
      expect(res.statusCode, JSON.stringify(q)).toBe(400);
      expect((res.body as { message: string }).message).toMatch(/\w/);
    }
    expect((await ask({ from: "2000", to: "1000" })).body).toEqual({ message: "from must be less than to" });
    expect((await ask({ from: "0", to: String(24 * HOUR + 1) })).body).toEqual({ message: "from and to may be at most 24 hours apart" });
    expect(((await ask({ from: "x" })).body as { message: string }).message).toMatch(/^from: must be epoch milliseconds/);
    expect((await ask({ from: "0", to: String(24 * HOUR) })).statusCode).toBe(200);
    expect((await ask({}, "a/b")).statusCode).toBe(400);
    expect((await router({ routeKey: "GET /instruments/{id}/series", pathParameters: {} })).statusCode).toBe(400);
  });

  it("404 for an unknown instrument and an unknown route", async () => {
    const { router } = await setup();
    expect(await router({ routeKey: "GET /instruments/{id}/windows", pathParameters: { id: "42" } })).toEqual({
      statusCode: 404,
      body: { message: 'unknown instrument "42"' },
    });
    expect((await router({ routeKey: "GET /instruments/{id}/series", pathParameters: { id: "03" } })).statusCode).toBe(404);
    expect((await router({ routeKey: "POST /instruments" })).statusCode).toBe(404);
  });

  it("500 with a generic message, never the error, when a store fails", async () => {
    const { router, onError } = await setup({
      queryWindows: async () => {
        throw new Error("secret table name tickstream-panes-xyz at line 42");
      },
    });
    const res = await router({ routeKey: "GET /instruments/{id}/windows", pathParameters: { id: "3" } });
    expect(res).toEqual({ statusCode: 500, body: { message: "internal error" } });
    expect(JSON.stringify(res)).not.toContain("secret");
    expect(onError).toHaveBeenCalledOnce();
  });

  it("parses ranges and matches raw paths to route keys", () => {
    expect(parseRange(undefined, NOW)).toEqual({ ok: true, from: NOW - HOUR, to: NOW });
    expect(parseRange({ to: "7200000" }, NOW)).toEqual({ ok: true, from: 3_600_000, to: 7_200_000 });
    expect(parseRange({ from: String(NOW - 10) }, NOW)).toEqual({ ok: true, from: NOW - 10, to: NOW });
    expect(matchRoute("GET", "/instruments/BRK.B/windows")).toEqual({ routeKey: "GET /instruments/{id}/windows", pathParameters: { id: "BRK.B" } });
    expect(matchRoute("get", "/health")).toEqual({ routeKey: "GET /health", pathParameters: {} });
    expect(matchRoute("GET", "/instruments/ES%3DF/series")).toEqual({ routeKey: "GET /instruments/{id}/series", pathParameters: { id: "ES=F" } });
    expect(matchRoute("GET", "/nope")).toBeNull();
    // A catch-all route passes raw paths: one trailing slash is tolerated, nothing more.
    expect(matchRoute("GET", "/instruments/3/series/")).toEqual({ routeKey: "GET /instruments/{id}/series", pathParameters: { id: "3" } });
    expect(matchRoute("GET", "/health/")?.routeKey).toBe("GET /health");
    expect(matchRoute("GET", "/health//")).toBeNull();
    expect(matchRoute("GET", "/")).toBeNull();
    expect(matchRoute("POST", "/health")).toBeNull();
  });
});
