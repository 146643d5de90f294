import { describe, expect, it, vi } from "vitest";
import {
  ApiError,
  BadResponseError,
  NetworkError,
  SessionExpiredError,
  createApiClient,
  parseInstruments,
} from "./api";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

function client(
  fetchImpl: (url: string, init: RequestInit) => Promise<Response>,
  tokens: (string | null)[] = ["t1", "t2"],
) {
  const getToken = vi.fn(async (_opts?: { forceRefresh?: boolean }) => tokens.shift() ?? null);
  const fetchMock = vi.fn(fetchImpl);
  const api = createApiClient({
    baseUrl: "http://api.test/",
    getToken,
    fetch: fetchMock as unknown as typeof fetch,
    timeoutMs: 200,
  });
  return { api, getToken, fetchMock };
}

describe("API client", () => {
  it("sends the ID token and parses the instruments", async () => {
    const tick = {
      instrument: "3",
      price: 123.45,
      prices: [123.45, 122],
      level: 7,
      eventTime: 1000,
      receivedAt: 1005,
    };
    const { api, fetchMock } = client(async () => json(200, [tick]));
    await expect(api.instruments()).resolves.toEqual([tick]);
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe("http://api.test/instruments");
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer t1");
  });

  it("asks for a range of candles with from, to and step, and reads open, high, low and close", async () => {
    const candle = { paneStart: 10_000, open: 101, high: 101.5, low: 100.5, close: 101.25 };
    const { api, fetchMock } = client(async () =>
      json(200, [
        { ...candle, count: 3, max: 101.5 },
        { ...candle, paneStart: 20_000, count: 1 }, // max is the high when absent
        { paneStart: 30_000, max: 99 }, // no candle: skipped
        { ...candle, paneStart: 40_000, close: "101" }, // malformed: skipped
      ]),
    );
    await expect(api.series("AB C", 1000.4, 2000.2)).resolves.toEqual([
      { ...candle, max: 101.5 },
      { ...candle, paneStart: 20_000, max: 101.5 },
    ]);
    expect(fetchMock.mock.calls[0]![0]).toBe(
      "http://api.test/instruments/AB%20C/series?from=1000&to=2001",
    );
    await api.series("1", 0, 86_400_000, undefined, 240_000);
    expect(fetchMock.mock.calls[1]![0]).toBe(
      "http://api.test/instruments/1/series?from=0&to=86400000&step=240000",
    );
  });

  it("refreshes the token once on 401, then gives up with SessionExpiredError", async () => {
    const { api, getToken, fetchMock } = client(
      async () => json(401, { message: "Unauthorized" }),
      ["old", "new"],
    );
    await expect(api.instruments()).rejects.toBeInstanceOf(SessionExpiredError);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(getToken.mock.calls[1]![0]).toEqual({ forceRefresh: true });
    expect((fetchMock.mock.calls[1]![1].headers as Record<string, string>).Authorization).toBe(
      "Bearer new",
    );
  });

  it("recovers when the refreshed token is accepted", async () => {
    let n = 0;
    const { api } = client(async () => (n++ === 0 ? json(401, {}) : json(200, [])));
    await expect(api.instruments()).resolves.toEqual([]);
  });

  it("without a session it does not call the API at all", async () => {
    const { api, fetchMock } = client(async () => json(200, []), [null]);
    await expect(api.instruments()).rejects.toBeInstanceOf(SessionExpiredError);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("tells server errors, outages and timeouts apart", async () => {
    await expect(
      client(async () => json(503, { message: "down" })).api.instruments(),
    ).rejects.toMatchObject({
      name: "ApiError",
      status: 503,
    });
    await expect(
      client(async () => Promise.reject(new TypeError("Failed to fetch"))).api.instruments(),
    ).rejects.toBeInstanceOf(NetworkError);
    const hang = (_u: string, init: RequestInit) =>
      new Promise<Response>((_, reject) =>
        init.signal?.addEventListener("abort", () =>
          reject(new DOMException("aborted", "AbortError")),
        ),
      );
    await expect(client(hang).api.instruments()).rejects.toThrow(/did not answer within/);
    await expect(
      client(async () => json(200, { not: "a list" })).api.instruments(),
    ).rejects.toBeInstanceOf(BadResponseError);
  });

  it("a failing identity provider is a transient network problem, not the end of the session", async () => {
    const getToken = async () => {
      throw Object.assign(new Error("fetch failed"), { name: "NetworkError" });
    };
    const api = createApiClient({
      baseUrl: "http://x",
      getToken,
      fetch: (async () => json(200, [])) as unknown as typeof fetch,
    });
    await expect(api.instruments()).rejects.toBeInstanceOf(NetworkError);
  });

  it("skips malformed items but keeps good ones", () => {
    expect(
      parseInstruments([{ instrument: 3, price: 1, eventTime: 5 }, { instrument: "x" }, null]),
    ).toEqual([
      { instrument: "3", price: 1, prices: [1], level: null, eventTime: 5, receivedAt: null },
    ]);
    expect(() => parseInstruments({})).toThrow(BadResponseError);
    expect(new ApiError(404, "x").status).toBe(404);
  });
});
