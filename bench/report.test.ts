import { describe, expect, it } from "vitest";
import { replaceSection, table } from "./report.js";

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
