import { describe, expect, it } from "vitest";
import { replaceSection, table } from "./report.js";
import { summary } from "./suites/document.js";

describe("report", () => {
  it("replaces only the generated block and keeps hand-written text", () => {
    const doc = "# T\nkept\n<!-- bench:a:start -->\nold\n<!-- bench:a:end -->\nalso kept\n";
    const out = replaceSection(doc, "a", "new");
    expect(out).toBe("# T\nkept\n<!-- bench:a:start -->\nnew\n<!-- bench:a:end -->\nalso kept\n");
    expect(replaceSection("x", "b", "y")).toBe("x\n\n<!-- bench:b:start -->\ny\n<!-- bench:b:end -->\n");
  });

  it("draws a markdown table", () => {
    expect(table(["a", "b"], [["x", 1]])).toBe("| a | b |\n| --- | ---: |\n| x | 1 |");
  });
});


describe("summary", () => {
  it("pairs each headline figure with its baseline and ratio", () => {
    const meta = { ranAt: "t", command: "c", quick: false, machine: { cpuModel: "x", cores: 2, memoryGiB: 1, node: "v", platform: "p", kernel: "k", loadAverage: [0, 0, 0] }, wallSeconds: 1 };
    const s = (median: number) => ({ n: 1, median, min: median, max: median, p25: median, p75: median });
    const out = summary({
      updatedAt: "t",
      sections: {
        api: {
          meta,
          data: {
            rate: 200,
            rows: [
              { route: "GET /health", p50: s(2), p99: s(10), p50Ratio: null },
              { route: "GET /instruments", p50: s(30), p99: s(90), p50Ratio: s(15) },
              { route: "GET /instruments/{id}/windows", p50: s(40), p99: s(120), p50Ratio: s(20) },
            ],
          },
        },
        cost: {
          meta,
          data: {
            rates: [
              {
                ticksPerSecond: 1000,
                designs: [
                  { key: "ours-on-demand", low: { total: 1000 }, high: null },
                  { key: "ours-on-demand-kpl", low: { total: 400 }, high: { total: 800 } },
                  { key: "ours-provisioned", low: { total: 500 }, high: null },
                  { key: "ours-provisioned-kpl", low: { total: 200 }, high: { total: 200 } },
                  { key: "seed", low: { total: 2000 }, high: null },
                ],
              },
            ],
          },
        },
      },
    });
    expect(out).toContain("| 30 / 90 ms, 40 / 120 ms | 2 / 10 ms | 15x / 20x the p50 |");
    expect(out).toContain("| monthly cost at 1,000 ticks/s, on-demand (prod stage): KPL records / one tick per record | $400–$800 / $1,000 | $2,000 | 5.00x–2.50x / 2.00x less |");
    expect(out).toContain("| $200 / $500 | $2,000 | 10x / 4.00x less |");
    expect(summary({ updatedAt: "t", sections: {} })).toBe("_No results yet._");
  });
});
