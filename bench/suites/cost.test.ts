import { describe, expect, it } from "vitest";
import { dashboardReadUnitsPerSecond, DASHBOARD } from "./cost.js";
import type { ReadCost } from "./writes-worker.js";
import type { WriteRow, WritesData } from "./writes.js";

/** How the cost model prices a dashboard's API reads from the writes suite's read units. */

const cost = (rcu: number): ReadCost => ({ rcu, requests: 1, covers: "" });

function writes(latest: Record<string, ReadCost>): WritesData {
  const row = (consumer: "latest" | "windows", reads: Record<string, ReadCost>) => ({ consumer, instruments: 1000, deployed: true, reads }) as unknown as WriteRow;
  return {
    shards: 2,
    eventRate: "",
    wcuSource: "",
    rows: [row("latest", latest), row("windows", { seriesTail: cost(0), windows: cost(0), seriesRun: { ...cost(0), panes: 1 } })],
  };
}

describe("dashboard read pricing", () => {
  it("GET /instruments: a warm container's poll, scaled to the tick rate, and its snapshot read once a minute; the 404 check from the warm view", () => {
    const d = DASHBOARD;
    const perCheck = 1 / d.pollSeconds + 1 / d.backgroundSeconds + d.watchlist / d.backgroundSeconds + 1 / d.selectionSeconds;
    const w = writes({ instruments: cost(60), known: cost(1), poll: cost(4), knownWarm: cost(0) });
    expect(dashboardReadUnitsPerSecond(w, 1000)!.perUser).toBeCloseTo((4 + 60 / 60) / d.pollSeconds);
    expect(dashboardReadUnitsPerSecond(w, 1000, 10_000)!.perUser).toBeCloseTo((40 + 60 / 60) / d.pollSeconds);
    // Rows measured before the warm reader: every request reads the snapshot.
    const before = writes({ instruments: cost(60), known: cost(1) });
    expect(dashboardReadUnitsPerSecond(before, 1000, 10_000)!.perUser).toBeCloseTo(60 / d.pollSeconds + perCheck);
    expect(dashboardReadUnitsPerSecond(w, 10)).toBeNull();
  });
});
