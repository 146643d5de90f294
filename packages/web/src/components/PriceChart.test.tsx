// @vitest-environment jsdom
import "../test/jsx";
import { cleanup, render } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Pane } from "../lib/api";
import { buildChartData } from "../lib/series";
import { PriceChart } from "./PriceChart";

const STEP = 10_000;
const WIDTH = 600;
const HEIGHT = 320;

// jsdom lays nothing out: the chart's container reports the size a browser would give it.
class FixedSizeObserver {
  constructor(private readonly callback: ResizeObserverCallback) {}
  observe(target: Element) {
    const contentRect = { width: WIDTH, height: HEIGHT } as DOMRectReadOnly;
    this.callback([{ target, contentRect } as ResizeObserverEntry], this as never);
  }
  unobserve() {}
  disconnect() {}
}

const candle = (paneStart: number, close: number): Pane => ({
  paneStart,
  open: close,
  high: close + 0.5,
  low: close - 0.5,
  close,
  max: close + 0.5,
});

/** The close line's path: one "M" per separately drawn piece. */
function closeLinePath(container: HTMLElement): string {
  const paths = container.querySelectorAll(".recharts-line-curve");
  expect(paths).toHaveLength(1);
  return paths[0]!.getAttribute("d") ?? "";
}

beforeEach(() => {
  vi.stubGlobal("ResizeObserver", FixedSizeObserver);
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("price chart", () => {
  it("draws one close line through candles separated by gaps, on to the live tick, and the band of each lone candle", () => {
    // A sparse instrument: single candles minutes apart, then the latest tick.
    const candles = [candle(0, 100), candle(180_000, 101), candle(420_000, 99)];
    const data = buildChartData({
      candles,
      from: 0,
      to: 900_000,
      stepMs: STEP,
      live: { t: 600_000, price: 100.5 },
    });
    expect(data.filter((p) => p.close === undefined).length).toBeGreaterThan(0);

    const { container } = render(<PriceChart data={data} from={0} to={900_000} />);
    const d = closeLinePath(container);
    expect(d.match(/M/g)).toHaveLength(1);
    // a vertex per candle and the live tick
    expect(d.match(/L/g)).toHaveLength(candles.length);

    // the band: a piece per lone candle, each as wide as its step
    const band = container.querySelector(".recharts-area-area")?.getAttribute("d") ?? "";
    const widths = band
      .split("M")
      .filter(Boolean)
      .map((piece) => {
        const xs = [...piece.matchAll(/(?:^|[LZ])([\d.]+),/g)].map((m) => Number(m[1]));
        return Math.max(...xs) - Math.min(...xs);
      });
    expect(widths).toHaveLength(candles.length);
    for (const w of widths) expect(w).toBeGreaterThan(1);
  });
});
