import { describe, expect, it } from "vitest";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { sequenceKey } from "../kinesis/batch.js";
import { encodeLatestValues } from "./packed.js";
import type { LatestItem } from "./store.js";
import { rangesAfter } from "./log-reads.js";
import { createTailLatestReader } from "./tail-reader.js";

/** The tailing reader's requests, against a stub client that records them. */

const S0 = "shardId-000000000000";
const S1 = "shardId-000000000001";

function value(instrument: string, eventTime: number, seq: string, shardId = S0): LatestItem {
  return { instrument, priceCents: eventTime, pricesCents: [eventTime], level: null, eventTime, receivedAt: null, arrivalTime: eventTime, shardId, sequenceNumber: seq, subIndex: 0 };
}

const logKey = (shardId: string, hi: string, lo: string, part = 0) => `${shardId}#${sequenceKey(hi)}#${lo}#${part}`;

interface Sent {
  command: string;
  input: { KeyConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown>; ConsistentRead?: boolean; Key?: unknown };
}

/** A client answering Queries of pk "snap" and of log ranges from fixed items; Gets find nothing. */
function stubClient(state: { snap: Record<string, unknown>[]; log: Record<string, unknown>[]; fail?: boolean }) {
  const sent: Sent[] = [];
  const flight = { now: 0, most: 0 };
  const doc = {
    async send(cmd: { constructor: { name: string }; input: Sent["input"] }) {
      sent.push({ command: cmd.constructor.name, input: cmd.input });
      flight.most = Math.max(flight.most, ++flight.now);
      await new Promise((resolve) => setTimeout(resolve, 1));
      flight.now--;
      if (state.fail) throw new Error("throttled");
      if (cmd.constructor.name === "GetCommand") return {};
      const v = cmd.input.ExpressionAttributeValues ?? {};
      if (v[":pk"] === "snap") return { Items: state.snap };
      const [a, b] = [String(v[":a"]), String(v[":b"])];
      return { Items: state.log.filter((i) => String(i.sk) >= a && String(i.sk) <= b).sort((x, y) => (String(x.sk) < String(y.sk) ? -1 : 1)) };
    },
  } as unknown as DynamoDBDocumentClient;
  return { doc, sent, flight };
}

const logItem = (sk: string, values: LatestItem[], n = 1) => ({ pk: "log", sk, d: encodeLatestValues(values), n });
const ranges = (sent: Sent[]) => sent.filter((s) => s.input.ExpressionAttributeValues?.[":pk"] === "log").map((s) => [s.input.ExpressionAttributeValues![":a"], s.input.ExpressionAttributeValues![":b"]]);

describe("tailing Latest reader", () => {
  it("refuses a snapshot interval that is not positive or longer than the log is kept", () => {
    const { doc } = stubClient({ snap: [], log: [] });
    expect(() => createTailLatestReader({ doc, tableName: "t", snapshotEveryMs: 0 })).toThrow(/snapshotEveryMs/);
    expect(() => createTailLatestReader({ doc, tableName: "t", snapshotEveryMs: 25 * 3_600_000 })).toThrow(/retention/);
    expect(() => createTailLatestReader({ doc, tableName: "t", snapshotEveryMs: Number.NaN })).toThrow(/snapshotEveryMs/);
  });

  it("key ranges: before the first shard, then from each cursor up to the next shard's keys, the last one open", () => {
    expect(rangesAfter(new Map())).toEqual([["!", "~"]]);
    expect(rangesAfter(new Map([[S1, "c1"], [S0, "c0"]]))).toEqual([
      ["!", `${S0}#`],
      ["c0 ", `${S1}#`],
      ["c1 ", "~"],
    ]);
    // The lower bound is above the cursor and below every larger key of the shard.
    const cursor = logKey(S0, "5", "3");
    for (const next of [logKey(S0, "5", "3", 1), logKey(S0, "5", "4"), logKey(S0, "6", "1"), logKey(S0, "10", "10")]) expect(next > `${cursor} `).toBe(true);
    expect(cursor < `${cursor} `).toBe(true);
  });

  it("a snapshot read starts the view over: what the table no longer holds (emptied for a replay) is gone after one interval", async () => {
    let now = 0;
    const state = {
      snap: [{ pk: "snap", sk: "b00", d: encodeLatestValues([value("a", 1, "90")]), cut: { [S0]: "100" } }] as Record<string, unknown>[],
      log: [logItem(logKey(S0, "150", "120"), [value("b", 2, "150")])],
    };
    const { doc } = stubClient(state);
    const reader = createTailLatestReader({ doc, tableName: "t", clock: () => now, snapshotEveryMs: 1_000 });
    expect((await reader.listLatest()).map((v) => v.instrument).sort()).toEqual(["a", "b"]);
    state.snap = [];
    state.log = [];
    now = 500;
    expect(await reader.listLatest()).toHaveLength(2); // within the interval: the warm view
    now = 1_000;
    expect(await reader.listLatest()).toEqual([]);
    expect(await reader.has("a")).toBe(false);
  });

  it("reads the snapshot (eventually consistent) and the log beyond its cuts on the first request, then only the log after its cursors (strongly consistent) until the interval has passed", async () => {
    let now = 0;
    const state = {
      snap: [{ pk: "snap", sk: "b00", d: encodeLatestValues([value("a", 1, "90")]), cut: { [S0]: "100" } }],
      log: [logItem(logKey(S0, "150", "120"), [value("b", 2, "150")])],
    };
    const { doc, sent } = stubClient(state);
    const reader = createTailLatestReader({ doc, tableName: "t", clock: () => now, snapshotEveryMs: 60_000 });
    expect((await reader.listLatest()).map((i) => i.instrument).sort()).toEqual(["a", "b"]);
    expect(sent.filter((s) => s.input.ExpressionAttributeValues?.[":pk"] === "snap").map((s) => s.input.ConsistentRead)).toEqual([false]);
    expect(sent.filter((s) => s.input.ExpressionAttributeValues?.[":pk"] === "log").every((s) => s.input.ConsistentRead === true)).toBe(true);

    sent.length = 0;
    now += 1000;
    state.log.push(logItem(logKey(S0, "160", "155"), [value("a", 3, "160")]));
    const items = await reader.listLatest();
    expect(Object.fromEntries(items.map((i) => [i.instrument, i.eventTime]))).toEqual({ a: 3, b: 2 });
    expect(sent.every((s) => s.command === "QueryCommand" && s.input.ConsistentRead === true && s.input.ExpressionAttributeValues?.[":pk"] === "log")).toBe(true);
    expect(ranges(sent)).toEqual([
      ["!", `${S0}#`],
      [`${logKey(S0, "150", "120")} `, "~"],
    ]);

    sent.length = 0;
    now += 59_000;
    await reader.listLatest();
    expect(sent.some((s) => s.input.ExpressionAttributeValues?.[":pk"] === "snap")).toBe(true);
  });

  it("keeps its cursor below an entry some of whose parts are missing, and moves it once they are all read", async () => {
    let now = 0;
    const state = { snap: [] as Record<string, unknown>[], log: [logItem(logKey(S0, "50", "40"), [value("z", 1, "50")])] };
    const { doc, sent } = stubClient(state);
    const reader = createTailLatestReader({ doc, tableName: "t", clock: () => now });
    await reader.listLatest();
    state.log.push(logItem(logKey(S0, "90", "60", 0), [value("a", 2, "90")], 2));
    now += 1000;
    expect((await reader.listLatest()).map((i) => i.instrument).sort()).toEqual(["a", "z"]);
    sent.length = 0;
    now += 1000;
    await reader.listLatest();
    expect(ranges(sent)[1]![0]).toBe(`${logKey(S0, "50", "40")} `);
    state.log.push(logItem(logKey(S0, "90", "60", 1), [value("b", 2, "80")], 2));
    now += 1000;
    expect((await reader.listLatest()).map((i) => i.instrument).sort()).toEqual(["a", "b", "z"]);
    sent.length = 0;
    now += 1000;
    await reader.listLatest();
    expect(ranges(sent)[1]![0]).toBe(`${logKey(S0, "90", "60", 1)} `);
  });

  it("a failed request changes nothing: the next one reads from the same cursors", async () => {
    let now = 0;
    const state = { snap: [] as Record<string, unknown>[], log: [logItem(logKey(S0, "50", "40"), [value("a", 1, "50")])], fail: false };
    const { doc, sent } = stubClient(state);
    const reader = createTailLatestReader({ doc, tableName: "t", clock: () => now });
    await reader.listLatest();
    state.log.push(logItem(logKey(S0, "60", "55"), [value("a", 2, "60")]));
    state.fail = true;
    now += 1000;
    await expect(reader.listLatest()).rejects.toThrow("throttled");
    state.fail = false;
    sent.length = 0;
    expect((await reader.listLatest()).map((i) => i.eventTime)).toEqual([2]);
    expect(ranges(sent)[1]![0]).toBe(`${logKey(S0, "50", "40")} `);
  });

  it("instrument checks: a known instrument without a request, an unknown one from the log while warm, one bucket read while cold", async () => {
    let now = 0;
    const state = { snap: [] as Record<string, unknown>[], log: [logItem(logKey(S0, "50", "40"), [value("a", 1, "50")])] };
    const { doc, sent } = stubClient(state);
    const reader = createTailLatestReader({ doc, tableName: "t", clock: () => now, snapshotEveryMs: 60_000 });
    expect(await reader.has("a")).toBe(true); // cold: the store's bucket read finds nothing, then the log
    expect(sent[0]!.command).toBe("GetCommand");
    await reader.listLatest();
    sent.length = 0;
    expect(await reader.has("a")).toBe(true);
    expect(sent).toEqual([]);
    state.log.push(logItem(logKey(S1, "7", "7"), [value("new", 1, "7", S1)]));
    expect(await reader.has("new")).toBe(true);
    expect(sent.every((s) => s.command === "QueryCommand" && s.input.ExpressionAttributeValues?.[":pk"] === "log")).toBe(true);
    expect((await reader.getLatest("new"))?.shardId).toBe(S1);
    sent.length = 0;
    now += 120_000;
    expect(await reader.has("nope")).toBe(false);
    expect(sent[0]!.command).toBe("GetCommand");
    expect(sent.some((s) => s.input.ExpressionAttributeValues?.[":pk"] === "snap")).toBe(false);
  });

  it("one request at a time: a request's Queries run together, two requests one after the other", async () => {
    let now = 0;
    const state = { snap: [] as Record<string, unknown>[], log: [logItem(logKey(S0, "5", "5"), [value("a", 1, "5")]), logItem(logKey(S1, "5", "5"), [value("b", 1, "5", S1)])] };
    const { doc, flight } = stubClient(state);
    const reader = createTailLatestReader({ doc, tableName: "t", clock: () => now });
    await reader.listLatest();
    now += 1000;
    flight.most = 0;
    await Promise.all([reader.listLatest(), reader.listLatest(), reader.has("c")]);
    expect(flight.most).toBe(3); // before S0, after S0, after S1
  });
});
