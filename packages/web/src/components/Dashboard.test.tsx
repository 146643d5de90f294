// @vitest-environment jsdom
import "../test/jsx";
import { stubListViewport } from "../test/layout";
import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApiClient } from "../lib/api";
import type { AuthBackend } from "../lib/auth-backend";
import { AuthProvider } from "../lib/auth";
import { DataProvider, createQueryClient } from "../lib/data";
import { Dashboard } from "./Dashboard";

// Recharts needs layout (ResizeObserver) that jsdom lacks; the chart's data is checked through
// the figure's data attributes instead.
vi.mock("./PriceChart", () => ({ PriceChart: () => <div data-testid="chart-mock" /> }));

const T0 = Date.UTC(2026, 10, 22, 10, 0, 5);
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const backend: AuthBackend = {
  currentUser: async () => "demo@example.com",
  signIn: async () => ({ kind: "done" }),
  confirmNewPassword: async () => ({ kind: "done" }),
  signOut: async () => undefined,
  getToken: async () => "token",
  onSessionLost: () => () => undefined,
};

async function advance(ms: number) {
  for (let left = ms; left > 0; left -= 250)
    await act(() => vi.advanceTimersByTimeAsync(Math.min(250, left)));
}

function renderDashboard(handler: (url: URL) => Response) {
  const calls: URL[] = [];
  const fetchStub = async (input: string) => {
    const url = new URL(input);
    calls.push(url);
    return handler(url);
  };
  const api = createApiClient({
    baseUrl: "http://api.test",
    getToken: backend.getToken,
    fetch: fetchStub as unknown as typeof fetch,
  });
  const client = createQueryClient(() => undefined);
  render(
    <AuthProvider backend={backend}>
      <DataProvider
        settings={{ api, windowMs: 60_000, paneMs: 10_000, now: () => Date.now() }}
        onSessionExpired={() => undefined}
        client={client}
      >
        <Dashboard username="demo@example.com" region="local" />
      </DataProvider>
    </AuthProvider>,
  );
  return calls;
}

let unstubViewport: () => void;
beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  unstubViewport = stubListViewport(500);
});
afterEach(() => {
  cleanup();
  unstubViewport();
  window.history.replaceState(null, "", "/");
  localStorage.clear();
  vi.useRealTimers();
});

describe("dashboard", () => {
  it("lists every instrument with price, change, one-minute high, age and staleness", async () => {
    let poll = 0;
    renderDashboard((url) => {
      if (url.pathname === "/instruments") {
        poll++;
        return json([
          {
            instrument: "1",
            price: poll < 2 ? 100 : 100.5,
            prices: [],
            level: 1,
            eventTime: poll < 2 ? T0 - 2000 : T0 + 500,
            receivedAt: T0,
          },
          {
            instrument: "2",
            price: 50,
            prices: [],
            level: 1,
            eventTime: T0 - 60_000,
            receivedAt: T0 - 60_000,
          },
        ]);
      }
      if (url.pathname.endsWith("/series")) {
        return json(
          url.pathname.includes("/1/")
            ? [
                {
                  paneStart: T0 - 5000 - 20_000,
                  open: 101,
                  high: 101.25,
                  low: 100.75,
                  close: 101,
                  max: 101.25,
                },
                {
                  paneStart: T0 - 5000,
                  open: 100.5,
                  high: 100.5,
                  low: 100,
                  close: 100.25,
                  max: 100.5,
                },
              ]
            : [],
        );
      }
      return json([]);
    });
    expect(screen.getByTestId("instruments-loading")).toBeTruthy();
    await advance(500);

    const one = screen.getByTestId("instrument-1");
    const two = screen.getByTestId("instrument-2");
    expect(within(one).getByTestId("price").textContent).toBe("100.00");
    expect(within(one).getByTestId("window-max").textContent).toMatch(/101\.25/);
    expect(two.getAttribute("data-stale")).toBe("true");
    expect(within(two).getByTestId("age").textContent).toBe("1 min ago");
    expect(within(two).getByText("stale")).toBeTruthy();
    expect(within(one).queryByText("stale")).toBeNull();
    expect(one.getAttribute("aria-pressed")).toBe("true");

    await advance(750);
    expect(within(one).getByTestId("price").textContent).toBe("100.50");
    const change = within(one).getByTestId("change");
    expect(change.getAttribute("data-direction")).toBe("up");
    expect(change.textContent).toMatch(/▲ \+0\.50/);
    // the chart's live tick: the selected instrument's newest
    const chart = screen.getByTestId("price-chart");
    expect(chart.getAttribute("data-last-price")).toBe("100.50");
    expect(chart.getAttribute("data-last-tick-time")).toBe(String(T0 + 500));

    // keyboard: arrow down moves focus, Enter/click selects
    one.focus();
    fireEvent.keyDown(one, { key: "ArrowDown" });
    expect(document.activeElement).toBe(two);
    fireEvent.click(two);
    expect(two.getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByTestId("price-chart").getAttribute("data-instrument")).toBe("2");
    expect(screen.getByTestId("status").getAttribute("data-status")).toBe("live");
  });

  it("shows an error with a retry button while the API fails, and recovers", async () => {
    let down = false;
    const calls = renderDashboard((url) => {
      if (down) return json({ message: "Bad Gateway" }, 502);
      if (url.pathname === "/instruments")
        return json([
          { instrument: "7", price: 1, prices: [], level: 1, eventTime: T0, receivedAt: T0 },
        ]);
      return json([]);
    });
    await advance(100);
    expect(screen.queryByTestId("api-error")).toBeNull();

    down = true;
    await advance(3000);
    const banner = screen.getByTestId("api-error");
    expect(banner.getAttribute("role")).toBe("alert");
    expect(banner.textContent).toMatch(/HTTP 502/);
    expect(screen.getByTestId("status").getAttribute("data-status")).toBe("offline");
    expect(screen.getByTestId("instrument-7")).toBeTruthy(); // last data stays

    down = false;
    const before = calls.length;
    fireEvent.click(screen.getByTestId("api-error-retry"));
    await advance(300);
    expect(calls.length).toBeGreaterThan(before);
    expect(screen.queryByTestId("api-error")).toBeNull();
    expect(screen.getByTestId("status").getAttribute("data-status")).toBe("live");
  });

  it("says so when no prices have arrived yet", async () => {
    renderDashboard(() => json([]));
    await advance(100);
    expect(screen.getByTestId("instruments-empty").textContent).toMatch(
      /No prices have arrived yet/,
    );
  });

  it("restores the instrument and range from the address bar, and writes them back", async () => {
    window.history.replaceState(null, "", "/?instrument=2&range=6h");
    const calls = renderDashboard((url) => {
      if (url.pathname === "/instruments")
        return json(
          ["1", "2", "3"].map((instrument) => ({
            instrument,
            price: 10,
            prices: [],
            level: 1,
            eventTime: T0,
            receivedAt: T0,
          })),
        );
      return json([]);
    });
    await advance(100);
    expect(screen.getByTestId("instrument-2").getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByTestId("instrument-1").getAttribute("aria-pressed")).toBe("false");
    expect(screen.getByTestId("range-6h").getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByTestId("price-chart").getAttribute("data-instrument")).toBe("2");
    // the chart asks for six hours of one-minute candles
    const chartCall = calls.find(
      (c) =>
        c.pathname === "/instruments/2/series" &&
        Number(c.searchParams.get("to")) - Number(c.searchParams.get("from")) > 6 * 3_600_000,
    );
    expect(chartCall?.searchParams.get("step")).toBe("60000");

    fireEvent.click(screen.getByTestId("instrument-3"));
    fireEvent.click(screen.getByTestId("range-24h"));
    expect(window.location.search).toBe("?instrument=3&range=24h");
    expect(screen.getByTestId("price-chart").getAttribute("data-instrument")).toBe("3");
  });

  it.each([
    ["15m", 1],
    ["1h", 1],
    ["6h", 2],
  ])("polls the selected instrument's panes once a second at %s (%i series request(s))", async (range, perPoll) => {
    window.history.replaceState(null, "", `/?instrument=2&range=${range}`);
    const calls = renderDashboard((url) =>
      json(
        url.pathname === "/instruments"
          ? ["1", "2"].map((instrument) => ({ instrument, price: 10, prices: [], level: 1, eventTime: T0, receivedAt: T0 }))
          : [],
      ),
    );
    await advance(3000);
    const seriesOfTwo = () => calls.filter((c) => c.pathname === "/instruments/2/series").length;
    const before = seriesOfTwo();
    await advance(4000);
    // The chart's candles, the one-minute high and the selected row: one query when the candles
    // are single panes (15 min, 1 h), two when they are longer.
    expect(seriesOfTwo() - before).toBe(4 * perPoll);
  });

  it("shows the first instrument when the one in the address bar has no price", async () => {
    window.history.replaceState(null, "", "/?instrument=NOPE&range=1h");
    renderDashboard((url) =>
      json(
        url.pathname === "/instruments"
          ? [{ instrument: "7", price: 1, prices: [], level: 1, eventTime: T0, receivedAt: T0 }]
          : [],
      ),
    );
    await advance(100);
    expect(screen.getByTestId("price-chart").getAttribute("data-instrument")).toBe("7");
    expect(screen.getByTestId("range-1h").getAttribute("aria-pressed")).toBe("true");
  });
});
