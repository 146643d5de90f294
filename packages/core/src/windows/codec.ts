import { ByteReader, ByteWriter, PackedFormatError } from "../packing/bytes.js";
import type { PaneStats } from "./pane-stats.js";

/**
 * The bytes of the packed items (packing/bytes.ts has the primitives):
 *
 * Pane item `d`: version 1, then per instrument (sorted by id): id, count, open, high - open,
 * low - open, close - open, openAt - paneStart, closeAt - paneStart. Prices are stored as
 * differences from the open, event times as offsets into the pane: about 15-20 bytes an
 * instrument where number attributes with names would take 60.
 *
 * Result item `d`: version 1, then per instrument (sorted): id, maximum in cents.
 */

const VERSION = 1;

function checkVersion(r: ByteReader, what: string): void {
  const v = r.uint();
  if (v !== VERSION) throw new PackedFormatError(`${what}: unknown version ${v}`);
}

function sortedKeys<T>(m: ReadonlyMap<string, T>): string[] {
  return [...m.keys()].sort();
}

export function encodePaneEntries(paneStart: number, entries: ReadonlyMap<string, PaneStats>): Uint8Array {
  const w = new ByteWriter(8 + entries.size * 20);
  w.uint(VERSION);
  for (const instrument of sortedKeys(entries)) {
    const s = entries.get(instrument)!;
    w.latin1(instrument)
      .uint(s.count)
      .int(s.open)
      .int(s.high - s.open)
      .int(s.low - s.open)
      .int(s.close - s.open)
      .uint(s.openAt - paneStart)
      .uint(s.closeAt - paneStart);
  }
  return w.bytes();
}

export function decodePaneEntries(paneStart: number, bytes: Uint8Array): Map<string, PaneStats> {
  const r = new ByteReader(bytes);
  checkVersion(r, "pane item");
  const out = new Map<string, PaneStats>();
  while (!r.done) {
    const instrument = r.latin1();
    const count = r.uint();
    const open = r.int();
    const high = open + r.int();
    const low = open + r.int();
    const close = open + r.int();
    const openAt = paneStart + r.uint();
    const closeAt = paneStart + r.uint();
    out.set(instrument, { open, openAt, high, low, close, closeAt, count });
  }
  return out;
}

export function encodeMaxima(maxima: ReadonlyMap<string, number>): Uint8Array {
  const w = new ByteWriter(8 + maxima.size * 8);
  w.uint(VERSION);
  for (const instrument of sortedKeys(maxima)) w.latin1(instrument).int(maxima.get(instrument)!);
  return w.bytes();
}

export function decodeMaxima(bytes: Uint8Array): Map<string, number> {
  const r = new ByteReader(bytes);
  checkVersion(r, "result item");
  const out = new Map<string, number>();
  while (!r.done) {
    const instrument = r.latin1();
    out.set(instrument, r.int());
  }
  return out;
}
