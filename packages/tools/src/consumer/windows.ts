/**
 * Window results as the window consumer emits them to the `windows` stream, one JSON object
 * per record: {"instrument": "3", "windowStart": 1763800000000, "windowEnd": 1763800060000, "max": 299.87}.
 * Parsing, filtering, de-duplication and printing for the consume tool.
 */
export interface WindowResult {
  instrument: string;
  windowStart: number;
  windowEnd: number;
  max: number;
  /** The object as emitted, extra fields included. */
  raw: Record<string, unknown>;
}

const decoder = new TextDecoder();

/** Parses one record; returns an Error saying what is wrong otherwise. */
export function parseWindowResult(data: Uint8Array | string): WindowResult | Error {
  const text = (typeof data === "string" ? data : decoder.decode(data)).trim();
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return new Error(`not JSON: ${excerpt(text)}`);
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj))
    return new Error(`not a JSON object: ${excerpt(text)}`);
  const o = obj as Record<string, unknown>;
  const instrument =
    typeof o.instrument === "string" || typeof o.instrument === "number"
      ? String(o.instrument)
      : undefined;
  const windowStart = toNumber(o.windowStart);
  const windowEnd = toNumber(o.windowEnd);
  const max = toNumber(o.max);
  const missing = [
    instrument === undefined && "instrument",
    windowStart === undefined && "windowStart",
    windowEnd === undefined && "windowEnd",
    max === undefined && "max",
  ].filter(Boolean);
  if (missing.length)
    return new Error(`missing or invalid ${missing.join(", ")}: ${excerpt(text)}`);
  return {
    instrument: instrument!,
    windowStart: windowStart!,
    windowEnd: windowEnd!,
    max: max!,
    raw: o,
  };
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function excerpt(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

/**
 * Drops results of other instruments and repeats of a window already seen (the consumer may
 * emit a window twice after a crash; the repeat is identical). Remembers the most recent
 * `capacity` windows.
 */
export class ResultFilter {
  private readonly seen = new Map<string, true>();

  constructor(
    private readonly options: {
      instruments?: readonly string[];
      dedupe?: boolean;
      capacity?: number;
    } = {},
  ) {}

  accept(r: WindowResult): boolean {
    const { instruments, dedupe = true, capacity = 200_000 } = this.options;
    if (instruments && instruments.length && !instruments.includes(r.instrument)) return false;
    if (!dedupe) return true;
    const key = `${r.instrument}\u0000${r.windowStart}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, true);
    if (this.seen.size > capacity) this.seen.delete(this.seen.keys().next().value!);
    return true;
  }
}

const COLUMNS = { instrument: 12, window: 40, max: 10 };

export function tableHeader(): string {
  return `${"INSTRUMENT".padEnd(COLUMNS.instrument)}${"WINDOW (UTC)".padEnd(COLUMNS.window)}${"MAX".padStart(COLUMNS.max)}`;
}

export function tableRow(r: WindowResult): string {
  const start = new Date(r.windowStart).toISOString();
  const end = new Date(r.windowEnd).toISOString();
  const sameDay = start.slice(0, 10) === end.slice(0, 10);
  const window = `${start.slice(0, 10)} ${start.slice(11, 23)} → ${sameDay ? end.slice(11, 23) : `${end.slice(0, 10)} ${end.slice(11, 23)}`}`;
  const instrument =
    r.instrument.length >= COLUMNS.instrument
      ? `${r.instrument} `
      : r.instrument.padEnd(COLUMNS.instrument);
  return `${instrument}${window.padEnd(COLUMNS.window)}${formatPrice(r.max).padStart(COLUMNS.max)}`;
}

export function jsonLine(r: WindowResult): string {
  return JSON.stringify(r.raw);
}

/** Two decimals at least (prices are cents), more if the value has them. */
export function formatPrice(n: number): string {
  const fixed = n.toFixed(2);
  return Number(fixed) === n ? fixed : String(n);
}
