/**
 * Kinesis Data Generator (KDG) record templates: literal text with `{{helper}}` or
 * `{{helper(args)}}` expressions, e.g.
 *
 *   instrument={{random.number(9)}}|price_0={{random.number({"min":10000, "max":30000})}}|
 *
 * A template is parsed once into a list of literal strings and bound helper calls; rendering a
 * record is then a loop over that list. Arguments are JSON-ish literals (numbers, single- or
 * double-quoted strings, true/false/null, arrays, objects with quoted or bare keys) parsed here,
 * never evaluated as code. Unknown helpers and malformed expressions are reported with their
 * line and column before anything is rendered.
 */
import { Faker, base, en } from "@faker-js/faker";
import { lookupHelper, type ArgValue, type HelperContext } from "./helpers.js";
import { makeRng, type Rng } from "./random.js";

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly line: number,
    readonly column: number,
    readonly helper?: string,
  ) {
    super(message);
    this.name = "TemplateError";
  }
}

export interface CompileOptions {
  /** Random source for the built-in helpers (and the seed for faker). Default: Math.random. */
  rng?: Rng;
  /** Faker instance for faker namespaces; default: one seeded from `rng`. */
  faker?: Faker;
  /**
   * Clean the template as the KDG does before use: trim it and drop line breaks, so that a
   * multi-line template yields one-line records. Default true.
   */
  kdgClean?: boolean;
  /** Render once while compiling, so helper failures surface before anything is sent. Default true. */
  trialRender?: boolean;
}

export interface CompiledTemplate {
  /** Renders one record. `now` (epoch ms) is the clock that `date.now` / `date.utc` read. */
  render(now?: number): string;
  /** Helper names used, in order of first appearance. */
  readonly helpers: readonly string[];
}

interface Expression {
  name: string;
  args: ArgValue[];
  offset: number;
}

type Part = string | Expression;

/** Parses and binds a template. Throws TemplateError with a position for any problem. */
export function compileTemplate(source: string, options: CompileOptions = {}): CompiledTemplate {
  const parts = parseTemplate(source, options.kdgClean ?? true);
  const rng = options.rng ?? makeRng();
  let faker = options.faker;
  const ctx: HelperContext = {
    rng,
    get faker(): Faker {
      faker ??= new Faker({ locale: [en, base], seed: rng.seed() });
      return faker;
    },
    now: Date.now(),
  };

  const renderers: (() => string)[] = [];
  const helpers: string[] = [];
  for (const part of parts) {
    if (typeof part === "string") {
      renderers.push(() => part);
      continue;
    }
    const where = locate(source, part.offset);
    const fail = (message: string): never => {
      throw new TemplateError(
        `${message} at ${where.text}`,
        part.offset,
        where.line,
        where.column,
        part.name,
      );
    };
    const helper = lookupHelper(part.name, ctx);
    if (!helper) fail(`Unknown helper "${part.name}"`);
    let call: () => string;
    try {
      call = helper!(part.args, ctx);
    } catch (err) {
      fail(`Bad arguments for "${part.name}": ${(err as Error).message}`);
    }
    const name = part.name;
    renderers.push(() => {
      try {
        return call();
      } catch (err) {
        return fail(`Helper "${name}" failed: ${(err as Error).message}`);
      }
    });
    if (!helpers.includes(name)) helpers.push(name);
  }

  // Merge the loop into one function: a template is usually a few dozen parts.
  const n = renderers.length;
  const render = (now?: number): string => {
    ctx.now = now ?? Date.now();
    let out = "";
    for (let i = 0; i < n; i++) out += renderers[i]!();
    return out;
  };
  if (options.trialRender ?? true) render();
  return { render, helpers };
}

/** Splits a template into literal text and expressions. Exported for tests. */
export function parseTemplate(source: string, kdgClean = true): Part[] {
  const parts: Part[] = [];
  let literal = "";
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf("{{", i);
    if (open === -1) {
      literal += source.slice(i);
      break;
    }
    // `\{{` is a literal `{{`, as in Handlebars.
    if (open > 0 && source[open - 1] === "\\") {
      literal += source.slice(i, open - 1) + "{{";
      i = open + 2;
      continue;
    }
    literal += source.slice(i, open);
    if (literal) parts.push(literal);
    literal = "";
    const parser = new ExpressionParser(source, open);
    parts.push(parser.parse());
    i = parser.pos;
  }
  if (literal) parts.push(literal);
  return kdgClean ? clean(parts) : parts;
}

/** What the KDG does to a template before use: trim, then drop line breaks. */
function clean(parts: Part[]): Part[] {
  const out = parts.slice();
  if (typeof out[0] === "string") out[0] = out[0].trimStart();
  const last = out.length - 1;
  if (typeof out[last] === "string") out[last] = (out[last] as string).trimEnd();
  return out
    .map((p) => (typeof p === "string" ? p.replace(/\r?\n/g, "") : p))
    .filter((p) => p !== "");
}

class ExpressionParser {
  pos: number;
  constructor(
    private readonly src: string,
    private readonly start: number,
  ) {
    this.pos = start + 2;
  }

  parse(): Expression {
    this.ws();
    const nameAt = this.pos;
    const name = this.path();
    this.ws();
    let args: ArgValue[] = [];
    if (this.src[this.pos] === "(") {
      this.pos++;
      args = this.argList(name);
      this.ws();
    }
    if (this.src.startsWith("}}", this.pos)) {
      this.pos += 2;
      return { name, args, offset: nameAt };
    }
    return this.expected(`"}}" after "${name}${args.length ? "(…)" : ""}"`);
  }

  private path(): string {
    const ident = /[A-Za-z_$][\w$]*/y;
    const segments: string[] = [];
    for (;;) {
      ident.lastIndex = this.pos;
      const m = ident.exec(this.src);
      if (!m) {
        if (segments.length === 0 && this.src.startsWith("}}", this.pos)) {
          this.error('Empty expression "{{}}"', this.start);
        }
        if (segments.length > 0) this.expected(`a name after "${segments.join(".")}."`);
        this.expected(
          'a helper name such as random.number after "{{"',
          ' (write \\{{ for a literal "{{")',
        );
      }
      segments.push(m![0]);
      this.pos += m![0].length;
      if (this.src[this.pos] !== ".") break;
      this.pos++;
    }
    return segments.join(".");
  }

  private argList(name: string): ArgValue[] {
    const args: ArgValue[] = [];
    this.ws();
    if (this.src[this.pos] === ")") {
      this.pos++;
      return args;
    }
    for (;;) {
      args.push(this.value(name));
      this.ws();
      const c = this.src[this.pos];
      if (c === ",") {
        this.pos++;
        this.ws();
        continue;
      }
      if (c === ")") {
        this.pos++;
        return args;
      }
      this.expected(`"," or ")" in the arguments of "${name}"`);
    }
  }

  private value(name: string): ArgValue {
    this.ws();
    const c = this.src[this.pos];
    if (c === undefined) this.unclosed();
    if (c === '"' || c === "'") return this.string();
    if (c === "[") {
      this.pos++;
      const items: ArgValue[] = [];
      for (;;) {
        this.ws();
        if (this.src[this.pos] === "]") {
          this.pos++;
          return items;
        }
        items.push(this.value(name));
        this.ws();
        if (this.src[this.pos] === ",") this.pos++;
        else if (this.src[this.pos] !== "]") {
          this.expected(`"," or "]" in an array argument of "${name}"`);
        }
      }
    }
    if (c === "{") {
      this.pos++;
      const obj: Record<string, ArgValue> = {};
      for (;;) {
        this.ws();
        if (this.src[this.pos] === "}") {
          this.pos++;
          return obj;
        }
        const key = this.key(name);
        this.ws();
        if (this.src[this.pos] !== ":") {
          this.expected(`":" after key "${key}" in an argument of "${name}"`);
        }
        this.pos++;
        obj[key] = this.value(name);
        this.ws();
        if (this.src[this.pos] === ",") this.pos++;
        else if (this.src[this.pos] !== "}") {
          this.expected(`"," or "}" in an object argument of "${name}"`);
        }
      }
    }
    const num = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/y;
    num.lastIndex = this.pos;
    const m = num.exec(this.src);
    if (m) {
      this.pos += m[0].length;
      return Number(m[0]);
    }
    const word = /[A-Za-z_$][\w$]*/y;
    word.lastIndex = this.pos;
    const w = word.exec(this.src);
    if (w) {
      const literals: Record<string, ArgValue> = {
        true: true,
        false: false,
        null: null,
        undefined: undefined,
      };
      if (w[0] in literals) {
        this.pos += w[0].length;
        return literals[w[0]];
      }
      this.error(
        `Unexpected word "${w[0]}" in the arguments of "${name}": arguments are literals (numbers, quoted strings, true, false, null, arrays, objects)`,
        this.pos,
      );
    }
    return this.error(`Unexpected ${this.found()} in the arguments of "${name}"`, this.pos);
  }

  private key(name: string): string {
    const c = this.src[this.pos];
    if (c === '"' || c === "'") return this.string();
    const ident = /[A-Za-z_$][\w$]*/y;
    ident.lastIndex = this.pos;
    const m = ident.exec(this.src);
    if (!m) this.expected(`a key in an object argument of "${name}"`);
    this.pos += m![0].length;
    return m![0];
  }

  private string(): string {
    const quote = this.src[this.pos]!;
    const begin = this.pos;
    this.pos++;
    let out = "";
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) this.error(`Unterminated string starting`, begin);
      this.pos++;
      if (c === quote) return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.src[this.pos++];
      const simple: Record<string, string> = {
        n: "\n",
        t: "\t",
        r: "\r",
        b: "\b",
        f: "\f",
        "0": "\0",
      };
      if (e === undefined) this.error(`Unterminated string starting`, begin);
      else if (e === "u") {
        const hex = this.src.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.error(`Bad \\u escape in a string`, this.pos - 2);
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 4;
      } else out += simple[e] ?? e;
    }
  }

  private ws(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++;
  }

  private found(): string {
    if (this.pos >= this.src.length) return "the end of the template";
    return JSON.stringify(this.src.slice(this.pos, this.pos + 12));
  }

  /**
   * Fails at the current position: on "Unclosed" when the template ends there, else on
   * "Expected <what> but found <what is there><hint>".
   */
  private expected(what: string, hint = ""): never {
    if (this.pos >= this.src.length) this.unclosed();
    return this.error(`Expected ${what} but found ${this.found()}${hint}`, this.pos);
  }

  private unclosed(): never {
    return this.error(`Unclosed "{{" (no matching "}}")`, this.start);
  }

  private error(message: string, offset: number): never {
    // With no "}}" anywhere after the "{{", the missing close is the real problem.
    if (this.src.indexOf("}}", this.start + 2) === -1) {
      message = `Unclosed "{{" (no matching "}}")`;
      offset = this.start;
    }
    const where = locate(this.src, offset);
    throw new TemplateError(`${message} at ${where.text}`, offset, where.line, where.column);
  }
}

/** 1-based line and column of an offset, plus a readable "line L, column C" with context. */
export function locate(
  source: string,
  offset: number,
): { line: number; column: number; text: string } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  const column = offset - lineStart + 1;
  let lineEnd = source.indexOf("\n", lineStart);
  if (lineEnd === -1) lineEnd = source.length;
  // A short excerpt of the line with a caret under the offending character.
  const from = Math.max(lineStart, offset - 30);
  const to = Math.min(lineEnd, offset + 30);
  const excerpt = source.slice(from, to).replace(/\t/g, " ");
  const caret = " ".repeat(offset - from) + "^";
  return {
    line,
    column,
    text: `line ${line}, column ${column} (offset ${offset}):\n  ${from > lineStart ? "…" : ""}${excerpt}${to < lineEnd ? "…" : ""}\n  ${from > lineStart ? " " : ""}${caret}`,
  };
}
