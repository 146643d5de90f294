import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareSequenceNumbers, sequenceKey } from "../kinesis/batch.js";
import { rangesBeyondCuts } from "./log-reads.js";

/** The key ranges a log read after the snapshot's cuts asks for. */

const shardArb = fc.constantFrom("shardId-000000000000", "shardId-000000000001", "shardId-000000000002", "shardId-0000000000010", "s", "s-1");
const seqArb = fc.bigInt({ min: 0n, max: 10n ** 56n }).map(String);
const keyArb = fc.record({ shard: shardArb, hi: seqArb, lo: fc.nat(), part: fc.nat({ max: 3 }) });

const inRanges = (ranges: [string, string][], key: string) => ranges.some(([a, b]) => key >= a && key <= b);

describe("log ranges beyond the snapshot's cuts", () => {
  it("hold a key exactly when its shard has no cut or its sequence number lies above the cut", () => {
    fc.assert(
      fc.property(fc.dictionary(shardArb, seqArb, { maxKeys: 4 }), fc.array(keyArb, { maxLength: 30 }), (cutObj, keys) => {
        const cuts = new Map(Object.entries(cutObj));
        const ranges = rangesBeyondCuts(cuts);
        // Cuts close to the key's sequence number are where an off-by-one would show.
        const probes = keys.flatMap((k) => {
          const cut = cuts.get(k.shard);
          return cut === undefined ? [k] : [k, { ...k, hi: cut }, { ...k, hi: (BigInt(cut) + 1n).toString() }];
        });
        for (const k of probes) {
          const cut = cuts.get(k.shard);
          const key = `${k.shard}#${sequenceKey(k.hi)}#${k.lo}#${k.part}`;
          expect(inRanges(ranges, key)).toBe(cut === undefined || compareSequenceNumbers(k.hi, cut) > 0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("take one Query per shard with a cut, plus one", () => {
    expect(rangesBeyondCuts(new Map())).toHaveLength(1);
    expect(rangesBeyondCuts(new Map([["a", "1"], ["b", "2"], ["c", "3"]]))).toHaveLength(4);
  });
});
