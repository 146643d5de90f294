/**
 * Template helpers. The KDG's own helpers (random.*, date.now, date.utc) are implemented here
 * with the semantics of the faker.js version the KDG ships (inclusive `max`, `precision`);
 * every other `namespace.method` is looked up in @faker-js/faker, with the namespaces and
 * methods that faker has renamed since (name → person, address → location, …) mapped over.
 */
import type { Faker } from "@faker-js/faker";
import dayjs from "dayjs";
import advancedFormat from "dayjs/plugin/advancedFormat.js";
import utc from "dayjs/plugin/utc.js";
import type { Rng } from "./random.js";

dayjs.extend(advancedFormat);
dayjs.extend(utc);

/** A helper argument as a template spells it: a literal, or a list or object of literals. */
export type ArgValue =
  string | number | boolean | null | undefined | ArgValue[] | { [key: string]: ArgValue };

export interface HelperContext {
  rng: Rng;
  readonly faker: Faker;
  /** The clock of the record being rendered (epoch ms). */
  now: number;
}

/** Validates the arguments once and returns the per-record function. Throws on bad arguments. */
export type HelperFactory = (args: ArgValue[], ctx: HelperContext) => () => string;

type Obj = { [key: string]: ArgValue };

const isObj = (v: ArgValue): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function expectArgs(args: ArgValue[], max: number, usage: string): void {
  if (args.length > max)
    throw new Error(`takes at most ${max} argument${max === 1 ? "" : "s"}: ${usage}`);
}

export function stringify(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function decimals(step: number): number {
  if (Number.isInteger(step)) return 0;
  const text = step.toExponential();
  const [mantissa, exp] = text.split("e");
  const frac = (mantissa!.split(".")[1] ?? "").length;
  return Math.max(0, frac - Number(exp));
}

/** random.number(max) or random.number({min, max, precision}): inclusive bounds, as in the KDG. */
const randomNumber: HelperFactory = (args, { rng }) => {
  expectArgs(args, 1, 'random.number(max) or random.number({"min":0,"max":10,"precision":1})');
  const a = args[0];
  let min = 0;
  let max = 99999;
  let precision = 1;
  if (typeof a === "number") max = a;
  else if (isObj(a)) {
    for (const key of Object.keys(a)) {
      if (!["min", "max", "precision"].includes(key))
        throw new Error(`unknown option "${key}" (min, max, precision)`);
      if (typeof a[key] !== "number" || !Number.isFinite(a[key]))
        throw new Error(`"${key}" must be a number`);
    }
    min = (a.min as number | undefined) ?? 0;
    max = (a.max as number | undefined) ?? 99999;
    precision = (a.precision as number | undefined) ?? 1;
  } else if (a !== undefined)
    throw new Error('expects a number or an object such as {"min":10000, "max":30000}');
  if (!(precision > 0)) throw new Error("precision must be greater than 0");
  if (min > max) throw new Error(`min (${min}) is greater than max (${max})`);
  const steps = Math.floor((max - min) / precision + 1e-9);
  const places = decimals(precision);
  if (places === 0 && Number.isInteger(min))
    return () => String(min + rng.int(0, steps) * precision);
  return () => (min + rng.int(0, steps) * precision).toFixed(places);
};

const arrayElement: HelperFactory = (args, { rng }) => {
  expectArgs(args, 1, 'random.arrayElement(["a","b","c"])');
  const list = args[0];
  if (!Array.isArray(list) || list.length === 0)
    throw new Error('expects a non-empty array such as ["OK","FAIL","WARN"]');
  const texts = list.map(stringify);
  return () => texts[rng.int(0, texts.length - 1)]!;
};

const objectElement: HelperFactory = (args, { rng }) => {
  expectArgs(args, 2, 'random.objectElement({"a":1,"b":2}, "key"|"value")');
  const obj = args[0];
  if (!isObj(obj) || Object.keys(obj).length === 0) throw new Error("expects a non-empty object");
  const keys = Object.keys(obj);
  const wantKey = args[1] === "key";
  return () => {
    const k = keys[rng.int(0, keys.length - 1)]!;
    return wantKey ? k : stringify(obj[k]);
  };
};

/** KDG's weighted choice: {"weights":[0.3,0.2,0.5], "data":["cat","fish","dog"]}. */
const weightedArrayElement: HelperFactory = (args, { rng }) => {
  expectArgs(args, 1, 'random.weightedArrayElement({"weights":[0.3,0.7],"data":["a","b"]})');
  const a = args[0];
  if (!isObj(a) || !Array.isArray(a.weights) || !Array.isArray(a.data)) {
    throw new Error('expects {"weights": [numbers], "data": [values]}');
  }
  const { weights, data } = a as { weights: ArgValue[]; data: ArgValue[] };
  if (weights.length !== data.length || data.length === 0) {
    throw new Error(
      `"weights" and "data" must be non-empty and of the same length (${weights.length} vs ${data.length})`,
    );
  }
  if (!weights.every((w) => typeof w === "number" && w >= 0))
    throw new Error('"weights" must be non-negative numbers');
  const total = (weights as number[]).reduce((s, w) => s + w, 0);
  if (!(total > 0)) throw new Error('"weights" must not all be zero');
  const cumulative: number[] = [];
  let acc = 0;
  for (const w of weights as number[]) cumulative.push((acc += w / total));
  const texts = data.map(stringify);
  return () => {
    const r = rng.next();
    for (let i = 0; i < cumulative.length; i++) if (r < cumulative[i]!) return texts[i]!;
    return texts[texts.length - 1]!;
  };
};

const uuid: HelperFactory = (args, { rng }) => {
  expectArgs(args, 0, "random.uuid");
  const hex = "0123456789abcdef";
  return () => {
    let out = "";
    for (let i = 0; i < 36; i++) {
      if (i === 8 || i === 13 || i === 18 || i === 23) out += "-";
      else if (i === 14) out += "4";
      else if (i === 19) out += hex[8 + rng.int(0, 3)];
      else out += hex[rng.int(0, 15)];
    }
    return out;
  };
};

const boolean: HelperFactory = (args, { rng }) => {
  expectArgs(args, 0, "random.boolean");
  return () => (rng.next() < 0.5 ? "true" : "false");
};

const alphaNumeric: HelperFactory = (args, { rng }) => {
  expectArgs(args, 1, "random.alphaNumeric(length)");
  const n = args[0] ?? 1;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0)
    throw new Error("length must be a non-negative integer");
  const chars = "0123456789abcdefghijklmnopqrstuvwxyz";
  return () => {
    let out = "";
    for (let i = 0; i < n; i++) out += chars[rng.int(0, chars.length - 1)];
    return out;
  };
};

/** date.now(format) / date.utc(format): moment-style format (dayjs with advancedFormat). */
function dateHelper(mode: "local" | "utc"): HelperFactory {
  return (args, ctx) => {
    expectArgs(args, 1, `date.${mode === "utc" ? "utc" : "now"}("YYYY-MM-DD HH:mm:ss")`);
    const format = args[0];
    if (format !== undefined && typeof format !== "string")
      throw new Error('the format must be a string such as "YYYY-MM-DD"');
    if (format === "x") return () => String(ctx.now);
    if (format === "X") return () => String(Math.floor(ctx.now / 1000));
    return mode === "utc"
      ? () => dayjs.utc(ctx.now).format(format)
      : () => dayjs(ctx.now).format(format);
  };
}

const BUILTINS: Record<string, HelperFactory> = {
  "random.number": randomNumber,
  "random.arrayElement": arrayElement,
  "random.objectElement": objectElement,
  "random.weightedArrayElement": weightedArrayElement,
  "random.uuid": uuid,
  "random.boolean": boolean,
  "random.alphaNumeric": alphaNumeric,
  "datatype.uuid": uuid,
  "datatype.boolean": boolean,
  "date.now": dateHelper("local"),
  "date.utc": dateHelper("utc"),
};

/** Namespaces faker has renamed since the version the KDG ships. */
const NAMESPACES: Record<string, string> = { name: "person", address: "location" };

type Adapt = (args: ArgValue[]) => unknown[];

/** Methods faker has renamed or whose arguments changed; target is "namespace.method". */
const METHODS: Record<string, { to: string; adapt?: Adapt }> = {
  "person.findName": { to: "person.fullName" },
  "person.title": { to: "person.jobTitle" },
  "location.streetName": { to: "location.street" },
  "location.cityName": { to: "location.city" },
  "location.streetSuffix": { to: "location.street" },
  "location.citySuffix": { to: "location.city" },
  "location.latitude": { to: "location.latitude" },
  "location.longitude": { to: "location.longitude" },
  "internet.userName": { to: "internet.username" },
  "internet.avatar": { to: "image.avatar" },
  "internet.color": { to: "color.rgb" },
  "phone.phoneNumber": { to: "phone.number" },
  "phone.phoneNumberFormat": { to: "phone.number" },
  "company.companyName": { to: "company.name" },
  "company.companySuffix": { to: "company.name" },
  "company.bs": { to: "company.buzzPhrase" },
  "company.bsNoun": { to: "company.buzzNoun" },
  "company.bsVerb": { to: "company.buzzVerb" },
  "company.bsAdjective": { to: "company.buzzAdjective" },
  "commerce.color": { to: "color.human" },
  "finance.account": {
    to: "finance.accountNumber",
    adapt: (a) => (typeof a[0] === "number" ? [a[0]] : []),
  },
  "finance.mask": {
    to: "finance.accountNumber",
    adapt: (a) => (typeof a[0] === "number" ? [a[0]] : [4]),
  },
  "finance.amount": {
    to: "finance.amount",
    adapt: (a) =>
      a.length === 0 || isObj(a[0])
        ? a
        : [{ min: a[0] ?? 0, max: a[1] ?? 1000, dec: a[2] ?? 2, symbol: a[3] ?? "" }],
  },
  "datatype.number": { to: "number.int", adapt: numberArgs },
  "datatype.float": { to: "number.float", adapt: (a) => a },
  "datatype.hexaDecimal": { to: "string.hexadecimal", adapt: lengthArgs },
  "datatype.string": { to: "string.sample", adapt: (a) => a },
  "random.word": { to: "lorem.word" },
  "random.words": { to: "lorem.words" },
  "random.image": { to: "image.url" },
  "random.hexaDecimal": { to: "string.hexadecimal", adapt: lengthArgs },
  "random.locale": { to: "location.countryCode" },
  "date.past": { to: "date.past", adapt: yearsArgs },
  "date.future": { to: "date.future", adapt: yearsArgs },
  "date.recent": { to: "date.recent", adapt: daysArgs },
  "date.soon": { to: "date.soon", adapt: daysArgs },
};

function numberArgs(a: ArgValue[]): unknown[] {
  if (typeof a[0] === "number") return [{ min: 0, max: a[0] }];
  return a;
}
function lengthArgs(a: ArgValue[]): unknown[] {
  return typeof a[0] === "number" ? [{ length: a[0] }] : a;
}
function yearsArgs(a: ArgValue[]): unknown[] {
  return typeof a[0] === "number" ? [{ years: a[0] }] : a;
}
function daysArgs(a: ArgValue[]): unknown[] {
  return typeof a[0] === "number" ? [{ days: a[0] }] : a;
}

/** Resolves a helper name to its factory, or undefined if there is no such helper. */
export function lookupHelper(name: string, ctx: HelperContext): HelperFactory | undefined {
  const builtin = BUILTINS[name];
  if (builtin) return builtin;
  const segments = name.split(".");
  if (segments.length !== 2) return undefined;
  let [ns, method] = segments as [string, string];
  ns = NAMESPACES[ns] ?? ns;
  const alias = METHODS[`${ns}.${method}`] ?? METHODS[name];
  let adapt: Adapt = (a) => a;
  if (alias) {
    [ns, method] = alias.to.split(".") as [string, string];
    if (alias.adapt) adapt = alias.adapt;
  }
  if (method.startsWith("_") || method === "constructor") return undefined;
  const faker = ctx.faker as unknown as Record<string, Record<string, unknown> | undefined>;
  const module = Object.prototype.hasOwnProperty.call(faker, ns) ? faker[ns] : undefined;
  if (!module || typeof module !== "object" || typeof module[method] !== "function")
    return undefined;
  return (args) => {
    const fakerArgs = adapt(args);
    return () => {
      const fn = (
        ctx.faker as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>
      )[ns]![method]!;
      return stringify(fn.apply((ctx.faker as unknown as Record<string, unknown>)[ns], fakerArgs));
    };
  };
}

/** Names of the built-in helpers, for help text. */
export const BUILTIN_HELPERS = Object.keys(BUILTINS);
