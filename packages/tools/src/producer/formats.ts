/**
 * Record sources for the producer: the seed's KDG template (default), any KDG template, or the
 * stock-trade JSON of the Kinesis Data Analytics tutorials; plus the partition key strategies.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { compileTemplate, type CompiledTemplate } from "./template.js";
import { stockTradeGenerator, type StockOptions } from "./stock.js";
import type { Rng } from "./random.js";

/** The Kinesis Data Generator template of the serverless-realtime-analytics project, verbatim. */
export const SEED_TEMPLATE = `session={{date.now('YYYYMMDD')}}|sequence={{date.now('x')}}|reception={{date.now('x')}}|instrument={{random.number(9)}}|l={{random.number(20)}}|price_0={{random.number({"min":10000, "max":30000})}}|price_1={{random.number({"min":10000, "max":30000})}}|price_2={{random.number({"min":10000, "max":30000})}}|price_3={{random.number({"min":10000, "max":30000})}}|price_4={{random.number({"min":10000, "max":30000})}}|price_5={{random.number({"min":10000, "max":30000})}}|price_6={{random.number({"min":10000, "max":30000})}}|price_7={{random.number({"min":10000, "max":30000})}}|price_8={{random.number({"min":10000, "max":30000})}}|`;

export interface GeneratedRecord {
  data: string;
  partitionKey: string;
}

export type RecordSource = (now: number) => GeneratedRecord;

/**
 * `--template FILE|TEXT`: a path to an existing file is read; anything else is the template
 * itself. Returns the text and a label for messages.
 */
export function loadTemplate(
  arg: string,
  cwd = process.env.INIT_CWD ?? process.cwd(),
): { text: string; from: string } {
  // Under `npm run` the working directory is the repository root; INIT_CWD is the user's.
  const path = resolve(cwd, arg);
  if (!arg.includes("{{") && existsSync(path) && statSync(path).isFile()) {
    return { text: readFileSync(path, "utf8"), from: path };
  }
  if (!arg.includes("{{") && /[\\/]|\.(hbs|txt|tpl|json|template)$/i.test(arg)) {
    throw new Error(`template file not found: ${arg}`);
  }
  return { text: arg, from: "--template" };
}

export type PartitionKeyMode = "instrument" | "random" | { template: CompiledTemplate };

/** Instrument of a rendered record: pipe `instrument=` or JSON `"TICKER"`. */
export function instrumentOf(data: string): string | undefined {
  const pipe = /(?:^|\|)instrument=([^|\r\n]+)/.exec(data);
  if (pipe) return pipe[1]!.trim();
  const json = /"TICKER"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(data);
  if (json) return json[1];
  return undefined;
}

export function randomKey(rng: Rng): string {
  let out = "";
  for (let i = 0; i < 4; i++) out += rng.int(0, 0xffff).toString(16).padStart(4, "0");
  return out;
}

export function partitionKeyFn(
  mode: PartitionKeyMode,
  rng: Rng,
): (data: string, now: number) => string {
  if (mode === "random") return () => randomKey(rng);
  if (mode === "instrument") return (data) => instrumentOf(data) || randomKey(rng);
  const { template } = mode;
  return (_data, now) => {
    const key = template.render(now);
    if (key.length === 0 || key.length > 256) {
      throw new Error(
        `the partition key template rendered a key of ${key.length} characters (1 to 256 allowed)`,
      );
    }
    return key;
  };
}

export interface SourceOptions {
  format: "kdg" | "stock" | "template";
  template?: string;
  stock?: StockOptions;
  partitionKey: string;
  rng: Rng;
  /** Keep line breaks of the template (the KDG drops them). */
  keepNewlines?: boolean;
}

/** Builds the record source; template problems are thrown here, before anything is sent. */
export function createSource(options: SourceOptions): RecordSource {
  const { rng } = options;
  let render: (now: number) => string;
  if (options.format === "stock") {
    render = stockTradeGenerator(rng, options.stock);
  } else {
    const text = options.format === "template" ? (options.template ?? "") : SEED_TEMPLATE;
    if (text.trim() === "") throw new Error("the template is empty");
    const compiled = compileTemplate(text, { rng, kdgClean: !options.keepNewlines });
    render = (now) => compiled.render(now);
  }
  const pk = options.partitionKey;
  let mode: PartitionKeyMode;
  if (pk === "instrument" || pk === "random") mode = pk;
  else {
    try {
      mode = { template: compileTemplate(pk, { rng }) };
    } catch (err) {
      throw new Error(`--partition-key: ${(err as Error).message}`);
    }
  }
  const key = partitionKeyFn(mode, rng);
  return (now) => {
    const data = render(now);
    return { data, partitionKey: key(data, now) };
  };
}
