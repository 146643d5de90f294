import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SEED_TEMPLATE } from "./formats.js";
import { seededRng } from "./random.js";
import { compileTemplate, parseTemplate, TemplateError } from "./template.js";

const seedDoc = resolve(__dirname, "../../../../../shared/seeds/serverless-realtime-analytics.md");

/** The template exactly as the seed document prints it (between the double backticks). */
function templateFromSeed(): string {
  try {
    const text = readFileSync(seedDoc, "utf8");
    const m = /``(session=\{\{.*?\|)``/.exec(text);
    if (m) return m[1]!;
  } catch {
    // The seed documents live outside the repository; fall back to the copy in the code.
  }
  return SEED_TEMPLATE;
}

function fields(record: string): Map<string, string> {
  if (!record.endsWith("|")) throw new Error(`no trailing "|": ${record}`);
  const out = new Map<string, string>();
  for (const part of record.slice(0, -1).split("|")) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new Error(`not name=value: ${part}`);
    out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

describe("the seed's KDG template, verbatim", () => {
  it("is the template the producer uses by default", () => {
    expect(templateFromSeed()).toBe(SEED_TEMPLATE);
  });

  it("renders every field, in order, with values in range", () => {
    const t = compileTemplate(templateFromSeed(), { rng: seededRng(7) });
    const now = Date.UTC(2026, 10, 22, 10, 0, 0, 123);
    const names = [
      "session",
      "sequence",
      "reception",
      "instrument",
      "l",
      ...Array.from({ length: 9 }, (_, k) => `price_${k}`),
    ];
    const seenLevels = new Set<string>();
    const seenInstruments = new Set<string>();
    const problems: string[] = [];
    const check = (ok: boolean, what: string, rec: string) => {
      if (!ok && problems.length < 5) problems.push(`${what}: ${rec}`);
    };
    for (let i = 0; i < 2000; i++) {
      const rec = t.render(now);
      const f = fields(rec);
      check([...f.keys()].join() === names.join(), "field names", rec);
      check(/^\d{8}$/.test(f.get("session")!), "session", rec);
      check(
        f.get("sequence") === String(now) && f.get("reception") === String(now),
        "sequence/reception",
        rec,
      );
      const instrument = f.get("instrument")!;
      check(/^\d$/.test(instrument), "instrument in 0..9", rec);
      const level = f.get("l")!;
      check(/^\d{1,2}$/.test(level) && Number(level) <= 20, "l in 0..20", rec);
      for (let k = 0; k <= 8; k++) {
        const p = f.get(`price_${k}`)!;
        check(
          /^\d{5}$/.test(p) && Number(p) >= 10000 && Number(p) <= 30000,
          `price_${k} in 10000..30000`,
          rec,
        );
      }
      seenLevels.add(level);
      seenInstruments.add(instrument);
    }
    expect(problems).toEqual([]);
    // One-character values are kept as they are (l=5, instrument=3), and both bounds occur.
    expect(seenInstruments).toEqual(new Set(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]));
    expect(seenLevels.has("0") && seenLevels.has("5") && seenLevels.has("20")).toBe(true);
  });

  it("formats the session as the local date of the record's clock", () => {
    const t = compileTemplate("{{date.now('YYYYMMDD')}}|{{date.now('x')}}");
    const now = new Date(2026, 10, 22, 12, 0, 0).getTime();
    expect(t.render(now)).toBe(`20261122|${now}`);
  });

  it("is reproducible with a seed", () => {
    const a = compileTemplate(SEED_TEMPLATE, { rng: seededRng(42) });
    const b = compileTemplate(SEED_TEMPLATE, { rng: seededRng(42) });
    for (let i = 0; i < 10; i++) expect(a.render(1)).toBe(b.render(1));
  });
});

describe("helpers", () => {
  const render = (template: string, n = 1, seed = 1) => {
    const t = compileTemplate(template, { rng: seededRng(seed) });
    return Array.from({ length: n }, () => t.render(Date.UTC(2026, 10, 22, 10, 0, 0, 5)));
  };

  it("random.number(max) is an integer in [0, max]", () => {
    const values = render("{{random.number(3)}}", 500).map(Number);
    expect(new Set(values)).toEqual(new Set([0, 1, 2, 3]));
  });

  it("random.number({min, max, precision}) keeps bounds and decimals", () => {
    for (const v of render('{{random.number({"min": 1.5, "max": 2.5, "precision": 0.01})}}', 500)) {
      expect(v).toMatch(/^\d\.\d\d$/);
      expect(Number(v)).toBeGreaterThanOrEqual(1.5);
      expect(Number(v)).toBeLessThanOrEqual(2.5);
    }
    expect(render('{{random.number({"min": -5, "max": -5})}}')[0]).toBe("-5");
    // Bare keys and single quotes are accepted too (JS-ish, still only literals).
    expect(Number(render("{{ random.number( {min: 7, 'max': 7} ) }}")[0])).toBe(7);
  });

  it("random.number without arguments uses 0..99999", () => {
    for (const v of render("{{random.number}}", 100)) expect(Number(v)).toBeLessThanOrEqual(99999);
  });

  it("random.arrayElement picks from the array", () => {
    const values = render('{{random.arrayElement(["OK","FAIL","WARN"])}}', 300);
    expect(new Set(values)).toEqual(new Set(["OK", "FAIL", "WARN"]));
    expect(render("{{random.arrayElement([1])}}")[0]).toBe("1");
  });

  it("random.weightedArrayElement follows the weights", () => {
    const values = render(
      '{{random.weightedArrayElement({"weights":[0.8,0.2,0],"data":["cat","fish","dog"]})}}',
      5000,
    );
    const cats = values.filter((v) => v === "cat").length / values.length;
    expect(cats).toBeGreaterThan(0.75);
    expect(cats).toBeLessThan(0.85);
    expect(values).not.toContain("dog");
  });

  it("a multi-line KDG template (as in the KDG help) becomes one line", () => {
    const template = `{
    "sensorId": {{random.number(50)}},
    "currentTemperature": {{random.number(
        {
            "min":10,
            "max":150
        }
    )}},
    "status": "{{random.arrayElement(
        ["OK","FAIL","WARN"]
    )}}"
}
`;
    const [rec] = render(template);
    expect(rec).not.toContain("\n");
    const obj = JSON.parse(rec!);
    expect(obj.currentTemperature).toBeGreaterThanOrEqual(10);
    expect(obj.currentTemperature).toBeLessThanOrEqual(150);
    expect(["OK", "FAIL", "WARN"]).toContain(obj.status);
    // Kept on request.
    const kept = compileTemplate("a\n{{random.number(1)}}\n", { kdgClean: false }).render();
    expect(kept).toMatch(/^a\n[01]\n$/);
  });

  it("random.uuid, random.boolean, random.alphaNumeric", () => {
    const [uuid, bool, alnum] = render(
      "{{random.uuid}}|{{random.boolean}}|{{random.alphaNumeric(6)}}",
    )[0]!.split("|");
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(["true", "false"]).toContain(bool);
    expect(alnum).toMatch(/^[0-9a-z]{6}$/);
  });

  it("date.now and date.utc take moment formats, including x and advanced tokens", () => {
    const now = Date.UTC(2026, 10, 22, 10, 0, 0, 5);
    const t = compileTemplate(
      "{{date.utc('YYYY-MM-DD HH:mm:ss.SSS')}}|{{date.utc('x')}}|{{date.utc('X')}}|{{date.utc('Do [of] MMMM')}}|{{date.utc}}",
    );
    expect(t.render(now)).toBe(
      `2026-11-22 10:00:00.005|${now}|${Math.floor(now / 1000)}|22nd of November|2026-11-22T10:00:00Z`,
    );
    expect(compileTemplate("{{date.now}}").render(now)).toMatch(
      /^2026-11-2\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/,
    );
  });

  it("faker namespaces, including the ones faker has renamed", () => {
    const [rec] = render(
      "{{name.firstName}}|{{name.lastName}}|{{internet.email}}|{{lorem.word}}|{{address.city}}|{{internet.ip}}|" +
        "{{person.fullName}}|{{phone.phoneNumber}}|{{company.companyName}}|{{internet.userName}}|{{datatype.number(5)}}|{{lorem.words(3)}}",
    );
    const parts = rec!.split("|");
    expect(parts).toHaveLength(12);
    for (const p of parts) expect(p.length).toBeGreaterThan(0);
    expect(parts[2]).toMatch(/@/);
    expect(Number(parts[10])).toBeLessThanOrEqual(5);
    expect(parts[11]!.split(" ")).toHaveLength(3);
  });

  it("faker output is reproducible with a seed", () => {
    expect(render("{{name.firstName}} {{internet.email}}", 3, 9)).toEqual(
      render("{{name.firstName}} {{internet.email}}", 3, 9),
    );
  });

  it("leaves text outside expressions alone, and \\{{ is a literal {{", () => {
    expect(render('{"a":{"b":1}} \\{{not.a.helper}} }}')[0]).toBe(
      '{"a":{"b":1}} {{not.a.helper}} }}',
    );
  });
});

describe("errors, with their position, before anything is rendered", () => {
  const error = (template: string): TemplateError => {
    try {
      compileTemplate(template);
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateError);
      return err as TemplateError;
    }
    throw new Error(`no error for ${template}`);
  };

  it("unknown helpers name the helper, line and column", () => {
    const e = error("session={{date.now('YYYYMMDD')}}|\nprice={{random.numbr(9)}}|");
    expect(e.helper).toBe("random.numbr");
    expect(e.line).toBe(2);
    expect(e.column).toBe(9);
    expect(e.message).toMatch(/Unknown helper "random\.numbr" at line 2, column 9/);
    expect(error("{{nosuch.thing}}").message).toMatch(
      /Unknown helper "nosuch\.thing" at line 1, column 3/,
    );
    expect(error("{{name.noSuchMethod}}").helper).toBe("name.noSuchMethod");
  });

  it("an unclosed {{ points at the opening braces", () => {
    const e = error("a=1|\nb={{random.number(9)|");
    expect(e.message).toMatch(/Unclosed "\{\{"/);
    expect([e.line, e.column]).toEqual([2, 3]);
    expect(error("x={{random.number").message).toMatch(/Unclosed/);
  });

  it("malformed arguments say what was expected where", () => {
    expect(error('{{random.number({"min":1,"max":})}}').message).toMatch(
      /Unexpected "\}\)\}\}" in the arguments of "random\.number" at line 1, column 32/,
    );
    expect(error("{{random.number(1 2)}}").message).toMatch(/Expected "," or "\)"/);
    expect(error("{{random.number('abc)}}").message).toMatch(/Unterminated string/);
    expect(error("{{random.number(process.exit(1))}}").message).toMatch(
      /Unexpected word "process"/,
    );
    expect(error("{{random.number(9) extra}}").message).toMatch(/Expected "\}\}"/);
    expect(error("{{}}").message).toMatch(/Empty expression/);
    expect(error('{{"json":1}}').message).toMatch(/Expected a helper name.*\\\{\{/);
  });

  it("bad argument values are reported at the helper", () => {
    expect(error('{{random.number({"min":5,"max":1})}}').message).toMatch(
      /min \(5\) is greater than max \(1\) at line 1, column 3/,
    );
    expect(error('{{random.number("ten")}}').message).toMatch(/Bad arguments for "random\.number"/);
    expect(error("{{random.arrayElement([])}}").message).toMatch(/non-empty array/);
    expect(
      error('{{random.weightedArrayElement({"weights":[1],"data":["a","b"]})}}').message,
    ).toMatch(/same length/);
    expect(error("{{date.now(5)}}").message).toMatch(/format must be a string/);
    expect(error('{{random.number({"min":1,"maxx":2})}}').message).toMatch(/unknown option "maxx"/);
  });

  it("parses a template once into literals and expressions", () => {
    expect(parseTemplate("a{{random.number(9)}}b{{date.now('x')}}")).toEqual([
      "a",
      { name: "random.number", args: [9], offset: 3 },
      "b",
      { name: "date.now", args: ["x"], offset: 24 },
    ]);
  });
});
