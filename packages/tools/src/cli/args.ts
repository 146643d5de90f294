/**
 * Flag parsing and usage text shared by the command-line tools (produce, consume, replay).
 * Built on node:util parseArgs in strict mode: an unknown flag, a missing value or a stray
 * argument prints the error and the usage on stderr and exits with status 2; `--help` prints
 * the usage on stdout and exits with 0.
 *
 *   const cmd = defineCommand({ name: "produce", summary: "…", flags: { count: { type: "string", value: "N", description: "…" } }, examples: [...] });
 *   runCli(cmd, async () => { const flags = cmd.parse(); …; return 0; });
 */
import { parseArgs } from "node:util";

export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  /** Placeholder in the usage text, e.g. "N" or "FILE". */
  value?: string;
  description: string;
  /** Shown in the usage text; not applied by the parser (callers apply their own defaults). */
  defaultText?: string;
  multiple?: boolean;
}

export interface CommandSpec<F extends Record<string, FlagSpec>> {
  /** As typed by the user, e.g. "npm run produce --". */
  name: string;
  summary: string;
  flags: F;
  /** [command line, what it does] */
  examples?: [string, string][];
  /** Extra paragraphs after the flags. */
  notes?: string[];
}

type FlagValues<F extends Record<string, FlagSpec>> = {
  [K in keyof F]?: F[K]["type"] extends "boolean"
    ? boolean
    : F[K]["multiple"] extends true
      ? string[]
      : string;
};

/**
 * A bad command line; runCli prints it and exits with status 2. With `showUsage` false (a bad
 * template, say, rather than a bad flag) it points at --help instead of printing the usage.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly showUsage = true,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

export interface Command<F extends Record<string, FlagSpec>> {
  spec: CommandSpec<F>;
  usage(): string;
  /** Parses argv (default process.argv after the script). Throws UsageError; exits on --help. */
  parse(argv?: string[]): FlagValues<F>;
}

export function defineCommand<F extends Record<string, FlagSpec>>(
  spec: CommandSpec<F>,
): Command<F> {
  const cmd: Command<F> = {
    spec,
    usage: () => formatUsage(spec),
    parse(argv = process.argv.slice(2)) {
      const options: Record<
        string,
        { type: "string" | "boolean"; short?: string; multiple?: boolean }
      > = {
        help: { type: "boolean", short: "h" },
      };
      for (const [name, f] of Object.entries(spec.flags)) {
        options[name] = {
          type: f.type,
          ...(f.short ? { short: f.short } : {}),
          ...(f.multiple ? { multiple: true } : {}),
        };
      }
      let values: Record<string, unknown>;
      try {
        ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
      } catch (err) {
        throw new UsageError(
          explainParseError(err as Error & { code?: string }, Object.keys(options)),
        );
      }
      if (values.help) {
        process.stdout.write(formatUsage(spec));
        process.exit(EXIT.ok);
      }
      delete values.help;
      return values as FlagValues<F>;
    },
  };
  return cmd;
}

function explainParseError(err: Error & { code?: string }, known: string[]): string {
  const msg = err.message;
  const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(msg);
  if (unknown) {
    const flag = unknown[1]!;
    const hint = suggest(flag.replace(/^-+/, ""), known);
    return `unknown flag ${flag}${hint ? ` (did you mean --${hint}?)` : ""}`;
  }
  const positional = /Unexpected argument '([^']*)'/.exec(msg);
  if (positional)
    return `unexpected argument '${positional[1]}' (every value goes after a flag, e.g. --count 10)`;
  const missing = /Option '(-[^']*?)(?: <value>)?' argument missing/.exec(msg);
  if (missing) return `flag ${missing[1]!.replace(/^-\w, /, "")} needs a value`;
  const noValue = /Option '(-[^']*?)' does not take an argument/.exec(msg);
  if (noValue) return `flag ${noValue[1]!.replace(/^-\w, /, "")} takes no value`;
  return msg;
}

function suggest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

export function formatUsage<F extends Record<string, FlagSpec>>(spec: CommandSpec<F>): string {
  const lines = [`Usage: ${spec.name} [flags]`, "", wrap(spec.summary, 100), "", "Flags:"];
  const rows: [string, string][] = Object.entries(spec.flags).map(([name, f]) => [
    `${f.short ? `-${f.short}, ` : "    "}--${name}${f.type === "string" ? ` ${f.value ?? "VALUE"}` : ""}`,
    f.description + (f.defaultText ? ` (default: ${f.defaultText})` : ""),
  ]);
  rows.push(["-h, --help", "show this help"]);
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
  for (const [left, right] of rows) {
    const text = wrap(right, 100 - width - 2).split("\n");
    const pad =
      left.length + 2 > width ? `\n${" ".repeat(width + 2)}` : " ".repeat(width - left.length);
    lines.push(`  ${left}${pad}${text[0]}`);
    for (const more of text.slice(1)) lines.push(`${" ".repeat(width + 2)}${more}`);
  }
  for (const note of spec.notes ?? []) lines.push("", wrap(note, 100));
  if (spec.examples?.length) {
    lines.push("", "Examples:");
    for (const [command, what] of spec.examples) lines.push(`  # ${what}`, `  ${command}`, "");
    lines.pop();
  }
  return lines.join("\n") + "\n";
}

function wrap(text: string, width: number): string {
  const out: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/\s+/)) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out.join("\n");
}

/**
 * Runs a command's main function: its resolved number is the exit status. A UsageError prints
 * "error: …" and the usage on stderr (status 2); any other error prints "error: …" (status 1).
 */
export function runCli(command: { usage(): string }, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      if (err instanceof UsageError) {
        process.stderr.write(
          err.showUsage
            ? `error: ${err.message}\n\n${command.usage()}`
            : `error: ${err.message}\n(--help shows the usage)\n`,
        );
        process.exitCode = EXIT.usage;
      } else {
        process.stderr.write(`error: ${err.message}\n`);
        if (process.env.TICKSTREAM_DEBUG) process.stderr.write(`${err.stack}\n`);
        process.exitCode = EXIT.failure;
      }
    },
  );
}

/**
 * Where a tool talks to (resolved by target.ts): the local runtime by default, a deployed
 * stage with --stage, or a named stream. Shared by produce, consume and replay.
 */
export const TARGET_FLAGS = {
  outputs: {
    type: "string",
    value: "PATH",
    description: "local runtime outputs file (with --stage: the SST outputs file)",
    defaultText: ".local/outputs.json, with --stage .sst/outputs.json",
  },
  stage: {
    type: "string",
    value: "NAME",
    description: "use a deployed SST stage (AWS credentials from the usual chain)",
  },
  stream: {
    type: "string",
    value: "NAME",
    description: "stream name; without --outputs or --stage, a stream in AWS",
  },
  region: {
    type: "string",
    value: "REGION",
    description: "AWS region (default: from the outputs or the AWS config)",
  },
  endpoint: {
    type: "string",
    value: "URL",
    description: "Kinesis endpoint URL (default: from the outputs, or AWS)",
  },
} as const satisfies Record<string, FlagSpec>;

// ---------- value parsers: each throws UsageError naming the flag ----------

export function parseIntFlag(
  flag: string,
  value: string,
  { min = 0, max = Number.MAX_SAFE_INTEGER } = {},
): number {
  const n = /^[-+]?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be a whole number${rangeText(min, max)}, got '${value}'`);
  }
  return n;
}

export function parseNumberFlag(
  flag: string,
  value: string,
  { min = -Infinity, max = Infinity } = {},
): number {
  const n = value.trim() === "" ? NaN : Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be a number${rangeText(min, max)}, got '${value}'`);
  }
  return n;
}

function rangeText(min: number, max: number): string {
  if (Number.isFinite(min) && max < Number.MAX_SAFE_INTEGER && Number.isFinite(max))
    return ` from ${min} to ${max}`;
  if (Number.isFinite(min) && min !== -Infinity)
    return min === 0 ? " (0 or more)" : ` of at least ${min}`;
  return "";
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "30s", "2m", "1h", "1m30s", or a bare number of seconds. */
export function parseDuration(flag: string, value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched += m[0].length;
  }
  if (!text || matched !== text.length) {
    throw new UsageError(
      `--${flag} must be a duration such as 500ms, 30s, 2m or 1h, got '${value}'`,
    );
  }
  return Math.round(total);
}

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
};

/** A size in bytes: `51200`, `50KiB`, `64KB`, `1MiB` (KB and MB are powers of 1000). */
export function parseByteSize(
  flag: string,
  value: string,
  { min = 1, max = Number.MAX_SAFE_INTEGER } = {},
): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib)?$/i.exec(value.trim());
  const n = m ? Number(m[1]) * BYTE_UNITS[(m[2] ?? "b").toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `--${flag} must be a whole number of bytes${rangeText(min, max)} (e.g. 51200, 50KiB, 1MiB), got '${value}'`,
    );
  }
  return n;
}

/** ISO-8601 date-time, or epoch milliseconds / seconds (10 digits or fewer are seconds). */
export function parseTimestamp(flag: string, value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    return text.split(".")[0]!.length <= 10 ? Math.round(n * 1000) : Math.round(n);
  }
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(t)) {
    throw new UsageError(
      `--${flag} must be an ISO-8601 time (2026-11-22T10:00:00Z) or epoch milliseconds, got '${value}'`,
    );
  }
  return t;
}

export function parseList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export function parseChoice<T extends string>(
  flag: string,
  value: string,
  choices: readonly T[],
): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${choices.join(", ")}, got '${value}'`);
  }
  return value as T;
}
