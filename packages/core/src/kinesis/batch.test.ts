import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  batchItemFailures,
  compareSequenceNumbers,
  decodeBatch,
  lowestSequenceNumber,
  sequenceKey,
  splitAtFirstFailure,
} from "./batch.js";
import { toKinesisRecord } from "./records.js";

const SHARD = "shardId-000000000000";
const T = Date.UTC(2026, 10, 22, 10, 0, 0);
const seq = (n: bigint) => (49590338271490256608559692538361571095921575989136588898n + n).toString();

describe("kinesis batch helpers", () => {
  it("reads shard, sequence number and arrival time (ms) from a Lambda record", () => {
    const record = toKinesisRecord("x", { shardId: SHARD, sequenceNumber: seq(1n), arrivalTime: 1_763_800_000_123 });
    const positionOf = (r: typeof record) => decodeBatch([r]).bad[0]!.position;
    expect(positionOf(record)).toMatchObject({ shardId: SHARD, sequenceNumber: seq(1n), arrivalTime: 1_763_800_000_123 });
    // Lambda's own encoding: fractional seconds
    expect(positionOf({ ...record, kinesis: { ...record.kinesis, approximateArrivalTimestamp: 1545084650.987 } }).arrivalTime).toBe(1545084650987);
  });

  it("decodes a batch into ticks and bad records, keeping order and raw bytes", () => {
    const records = [
      toKinesisRecord("sequence=1|instrument=3|l=5|price_0=100|", { shardId: SHARD, sequenceNumber: seq(1n), arrivalTime: T + 1000 }),
      toKinesisRecord("garbage", { shardId: SHARD, sequenceNumber: seq(2n), arrivalTime: T + 1001 }),
      toKinesisRecord('{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"3","PRICE":1.5}', { shardId: SHARD, sequenceNumber: seq(3n), arrivalTime: T + 1002 }),
    ];
    const { ticks, bad } = decodeBatch({ Records: records });
    expect(ticks.map((t) => [t.tick.instrument, t.tick.pricesCents[0], t.position.sequenceNumber])).toEqual([
      ["3", 100, seq(1n)],
      ["3", 150, seq(3n)],
    ]);
    expect(bad).toHaveLength(1);
    expect(Buffer.from(bad[0]!.raw).toString()).toBe("garbage");
    expect(bad[0]!.position.sequenceNumber).toBe(seq(2n));
  });

  it("orders sequence numbers numerically, also across lengths", () => {
    expect(compareSequenceNumbers("9", "10")).toBeLessThan(0);
    expect(compareSequenceNumbers(seq(2n), seq(10n))).toBeLessThan(0);
    expect(compareSequenceNumbers(seq(5n), seq(5n))).toBe(0);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 60n }), fc.bigInt({ min: 0n, max: 10n ** 60n }), (a, b) => {
        const expected = a < b ? -1 : a > b ? 1 : 0;
        expect(Math.sign(compareSequenceNumbers(a.toString(), b.toString()))).toBe(expected);
        expect(sequenceKey(a.toString()) < sequenceKey(b.toString())).toBe(a < b);
      }),
    );
  });

  it("reports failures lowest first, without duplicates; none for a clean batch", () => {
    expect(batchItemFailures([])).toEqual({ batchItemFailures: [] });
    expect(batchItemFailures([seq(10n), seq(2n), seq(10n)])).toEqual({
      batchItemFailures: [{ itemIdentifier: seq(2n) }, { itemIdentifier: seq(10n) }],
    });
    expect(lowestSequenceNumber(["100", "99", "1000"])).toBe("99");
    expect(lowestSequenceNumber([])).toBeUndefined();
  });

  it("splits items at their shard's first failure", () => {
    const at = (n: bigint, shardId = SHARD) => ({ position: { shardId, sequenceNumber: seq(n), arrivalTime: 0 } });
    const items = [at(1n), at(2n), at(3n), at(4n), at(1n, "shardId-000000000001")];
    const { before, after } = splitAtFirstFailure(items, [at(3n).position, at(4n).position]);
    expect(before).toEqual([at(1n), at(2n), at(1n, "shardId-000000000001")]);
    expect(after).toEqual([at(3n), at(4n)]);
    expect(splitAtFirstFailure(items, []).after).toEqual([]);
  });
});

describe("decodeBatch: base64 forms", () => {
  it("decodes padded, unpadded, URL-safe and whitespace-broken base64 like Buffer does", () => {
    const text = '{"EVENT_TIME":"2026-11-22T10:00:00","TICKER":"3","PRICE":1.5}';
    const b64 = Buffer.from(text).toString("base64");
    const pos = (n: bigint) => ({ shardId: SHARD, sequenceNumber: seq(n), arrivalTime: T });
    const forms = [b64, b64.replace(/=+$/, ""), `${b64.slice(0, 8)}\n${b64.slice(8)}`, Buffer.from(`${text} `).toString("base64url")];
    const records = forms.map((data, k) => ({ ...toKinesisRecord("", pos(BigInt(k))), kinesis: { ...toKinesisRecord("", pos(BigInt(k))).kinesis, data } }));
    const { ticks, bad } = decodeBatch(records);
    expect(bad).toEqual([]);
    expect(ticks.map((t) => t.tick.pricesCents)).toEqual([[150], [150], [150], [150]]);
  });
});
