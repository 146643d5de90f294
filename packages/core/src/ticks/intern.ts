/**
 * Instrument strings: ids repeat across records, so they are interned in a small direct-mapped
 * cache keyed by the bytes' hash; a hit costs a comparison and no allocation.
 */

const INTERN_SLOTS = 4096;
const interned: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS).fill(undefined);

/** The string of the ASCII bytes [start, end), whose FNV-1a hash the caller computed while scanning them. */
export function internAscii(b: Uint8Array, start: number, end: number, hash: number): string {
  const slot = hash & (INTERN_SLOTS - 1);
  const cached = interned[slot];
  const n = end - start;
  if (cached !== undefined && cached.length === n) {
    let k = 0;
    while (k < n && cached.charCodeAt(k) === b[start + k]) k++;
    if (k === n) return cached;
  }
  const s = String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  interned[slot] = s;
  return s;
}
