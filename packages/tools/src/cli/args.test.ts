import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  defineCommand,
  editDistance,
  formatUsage,
  parseByteSize,
  parseDuration,
  parseIntFlag,
  parseNumberFlag,
  parseTimestamp,
  UsageError,
} from "./args.js";
import { runTool, type Tool } from "./run-tool.js";

/** Runs a tool as `npm run produce -- …` would (tsx, from the repository root). */
const run = (tool: Tool, args: string[], cwd?: string) => runTool(tool, args, { cwd });

/**
 * Runs the cases a few at a time: each child loads the tool through tsx, and a dozen at once
 * on a small, busy machine can outlast the per-child limit.
 */
async function runAll(tool: Tool, cases: string[][], inFlight = 3) {
  const results: Awaited<ReturnType<typeof run>>[] = [];
  for (let i = 0; i < cases.length; i += inFlight) {
    results.push(
      ...(await Promise.all(cases.slice(i, i + inFlight).map((args) => run(tool, args)))),
    );
  }
  return results;
}

describe("command definitions", () => {
  const cmd = defineCommand({
    name: "npm run demo --",
    summary: "A demo.",
    flags: {
      count: { type: "string", short: "n", value: "N", description: "how many", defaultText: "10" },
      json: { type: "boolean", description: "JSON lines" },
    },
    examples: [["npm run demo -- -n 3", "three"]],
  });

  it("parses known flags", () => {
    expect(cmd.parse(["--count", "5", "--json"])).toEqual({ count: "5", json: true });
    expect(cmd.parse(["-n", "7"])).toEqual({ count: "7" });
    expect(cmd.parse(["--count=9"])).toEqual({ count: "9" });
  });

  it("rejects unknown flags with a suggestion, stray arguments and missing values", () => {
    expect(() => cmd.parse(["--cuont", "5"])).toThrow(
      new UsageError("unknown flag --cuont (did you mean --count?)"),
    );
    expect(() => cmd.parse(["5"])).toThrow(/unexpected argument '5'/);
    expect(() => cmd.parse(["--count"])).toThrow(/--count needs a value/);
    expect(() => cmd.parse(["--json=yes"])).toThrow(/--json takes no value/);
  });

  it("formats usage with flags, defaults and examples", () => {
    const text = formatUsage(cmd.spec);
    expect(text).toMatch(/^Usage: npm run demo -- \[flags\]/);
    expect(text).toMatch(/-n, --count N\s+how many \(default: 10\)/);
    expect(text).toMatch(/--json\s+JSON lines/);
    expect(text).toMatch(/-h, --help\s+show this help/);
    expect(text).toMatch(/Examples:\n {2}# three\n {2}npm run demo -- -n 3/);
  });
});

describe("value parsers", () => {
  it.each([
    ["30s", 30_000],
    ["500ms", 500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1.5", 1_500],
  ])("duration %j is %d ms", (text, ms) => {
    expect(parseDuration("d", text)).toBe(ms);
  });

  it.each(["", "s", "10 parsecs", "-1s", "1d"])("duration %j is refused", (bad) => {
    expect(() => parseDuration("duration", bad)).toThrow(/--duration must be a duration/);
  });

  it.each<[string, number, { max?: number }?]>([
    ["51200", 51_200],
    ["50KiB", 51_200],
    ["64kb", 64_000],
    ["1 MiB", 1_048_576],
    ["1.5KiB", 1_536],
    ["1MiB", 1_048_576, { max: 1_048_576 }],
  ])("byte size %j is %d bytes", (text, bytes, limits) => {
    expect(parseByteSize("b", text, limits)).toBe(bytes);
  });

  it.each(["", "0", "1.5", "1GiB", "-5", "2MiB", "KiB"])("byte size %j is refused", (bad) => {
    expect(() => parseByteSize("size", bad, { max: 1_048_576 })).toThrow(
      /--size must be a whole number of bytes/,
    );
  });

  it("numbers", () => {
    expect(parseIntFlag("count", "12")).toBe(12);
    expect(() => parseIntFlag("count", "1.5")).toThrow(/--count must be a whole number/);
    expect(() => parseIntFlag("count", "-1")).toThrow(/--count/);
    expect(() => parseIntFlag("count", "abc")).toThrow(/got 'abc'/);
    expect(parseNumberFlag("duplicates", "0.25", { min: 0, max: 1 })).toBe(0.25);
    expect(() => parseNumberFlag("duplicates", "2", { min: 0, max: 1 })).toThrow(/from 0 to 1/);
  });

  it("timestamps: ISO, epoch milliseconds, epoch seconds", () => {
    expect(parseTimestamp("from", "2026-11-22T10:00:00Z")).toBe(Date.UTC(2026, 10, 22, 10));
    expect(parseTimestamp("from", "1795341600000")).toBe(1795341600000);
    expect(parseTimestamp("from", "1795341600")).toBe(1795341600000);
    expect(() => parseTimestamp("from", "yesterday")).toThrow(/--from must be an ISO-8601 time/);
  });

  it("edit distance", () => {
    expect(editDistance("cuont", "count")).toBe(2);
    expect(editDistance("rate", "rate")).toBe(0);
  });
});

// Each child process starts tsx, the AWS SDK and faker: give them time on a busy machine.
describe("the tools as child processes", { timeout: 240_000 }, () => {
  it("produce: a bad flag prints the error and the usage, and exits with 2", async () => {
    const r = await run("produce", ["--bogus"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown flag --bogus/);
    expect(r.stderr).toMatch(/Usage: npm run produce -- \[flags\]/);
    expect(r.stdout).toBe("");
  });

  it("produce: bad values exit with 2 too", async () => {
    const cases = [
      ["--rate", "fast"],
      ["--duration", "soon"],
      ["--duplicates", "1.5"],
      ["--format", "xml"],
      ["--count"],
      ["extra"],
      ["--aggregate", "zip"],
      ["--aggregate-max-bytes", "0"],
      ["--aggregate-max-bytes", "2MiB"],
      ["--aggregate-max-bytes", "12 bytes"],
      ["--aggregate", "none", "--aggregate-max-bytes", "1000"],
      ["--template", "x={{random.number(3)}}", "--aggregate-linger", "1s"],
      ["--aggregate", "lines", "--keep-newlines"],
    ];
    const results = await runAll("produce", cases);
    for (const [i, r] of results.entries()) {
      expect(r.status, cases[i]!.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr).toMatch(/Usage:/);
    }
  });

  it("produce: --help prints the usage with examples and exits with 0", async () => {
    const r = await run("produce", ["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: npm run produce --/);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/--partition-key/);
  });

  it("produce: a template error is reported with its position before any connection is tried", async () => {
    // No local runtime is running in this directory: a connection attempt would fail differently.
    const cwd = mkdtempSync(join(tmpdir(), "tickstream-cli-"));
    const r = await run(
      "produce",
      ["--template", "price={{random.number(9)}}|x={{random.nubmer(3)}}"],
      cwd,
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown helper "random\.nubmer" at line 1, column 32/);
    expect(r.stderr).not.toMatch(/no local runtime outputs/);
  });

  it("produce: a template file works, and --dry-run prints the records", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tickstream-cli-"));
    const file = join(dir, "t.hbs");
    writeFileSync(file, '{\n  "id": {{random.number(5)}},\n  "ok": {{random.boolean}}\n}\n');
    const r = await run(
      "produce",
      ["--template", file, "--dry-run", "--count", "3", "--rate", "max", "--quiet"],
      dir,
    );
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const l of lines)
      expect(JSON.parse(l)).toEqual({ id: expect.any(Number), ok: expect.any(Boolean) });
  });

  it("produce: --dry-run with a seed prints the seed's template records reproducibly", async () => {
    const args = ["--dry-run", "--count", "5", "--seed", "7", "--rate", "max", "--quiet"];
    const [a, b] = await Promise.all([
      run("produce", [...args, "--aggregate", "none"]),
      run("produce", [...args, "--aggregate", "none"]),
    ]);
    expect(a.status).toBe(0);
    const strip = (s: string) => s.replace(/session=\d+\|sequence=\d+\|reception=\d+\|/g, "");
    expect(strip(a.stdout)).toBe(strip(b.stdout));
    expect(a.stdout.trim().split("\n")).toHaveLength(5);
    for (const line of a.stdout.trim().split("\n"))
      expect(line).toMatch(
        /^session=\d{8}\|sequence=\d{13}\|reception=\d{13}\|instrument=\d\|l=\d{1,2}\|(price_\d=\d{5}\|){9}$/,
      );
  });

  it("produce: --dry-run of packed records prints a summary line per record and its ticks", async () => {
    const tick =
      /^ {2}session=\d{8}\|sequence=\d{13}\|reception=\d{13}\|instrument=(\d)\|l=\d{1,2}\|(price_\d=\d{5}\|){9}$/;
    const [kpl, lines] = await Promise.all([
      run("produce", ["--dry-run", "--count", "40", "--seed", "7", "--rate", "max"]),
      run("produce", [
        "--dry-run",
        "--count",
        "40",
        "--seed",
        "7",
        "--rate",
        "max",
        "--aggregate",
        "lines",
        "--aggregate-max-bytes",
        "1KiB",
      ]),
    ]);
    for (const [mode, r] of [
      ["kpl", kpl],
      ["lines", lines],
    ] as const) {
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(
        new RegExp(
          `^40 ticks to stdout \\(dry run\\) .*: 40 delivered .* in \\d+ ${mode} records`,
          "m",
        ),
      );
      let key = "";
      let ticks = 0;
      let records = 0;
      for (const line of r.stdout.trim().split("\n")) {
        const head =
          /^# record (\d+): (\w+), (\d+) ticks?, ([\d,]+) bytes, partition key (\d)$/.exec(line);
        if (head) {
          expect(Number(head[1])).toBe(++records);
          expect(head[2]).toBe(mode);
          if (mode === "lines") expect(Number(head[4]!.replace(",", ""))).toBeLessThanOrEqual(1024);
          key = head[5]!;
          continue;
        }
        // Ticks of a record share its key (packed per instrument).
        expect(tick.exec(line)?.[1], line).toBe(key);
        ticks++;
      }
      expect(ticks).toBe(40);
      expect(records).toBeLessThan(40);
    }
  });

  it("produce: without a local runtime it says how to start one, and exits with 1", async () => {
    const missing = join(mkdtempSync(join(tmpdir(), "tickstream-cli-")), "outputs.json");
    const r = await run("produce", ["--outputs", missing, "--count", "1"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `no local runtime outputs at ${missing}: start the local runtime with \`npm start\``,
    );
  });

  it("consume: a bad flag or value prints the usage and exits with 2; --help exits with 0", async () => {
    const cases = [
      ["--bogus"],
      ["--from", "last tuesday"],
      ["--count", "0"],
      ["--timeout", "x"],
      ["--raw", "--json"],
    ];
    const results = await runAll("consume", cases);
    for (const [i, r] of results.entries()) {
      expect(r.status, cases[i]!.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/Usage: npm run consume -- \[flags\]/);
    }
    const help = await run("consume", ["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--from WHERE/);
    expect(help.stdout).toMatch(/Examples:/);
  });
});
