import { CONSUMERS } from "@tickstream/core/resources";
import { afterAll, describe, expect, it } from "vitest";
import { waitUntil } from "./timing.js";
import { idToken, makeTicks, outsideClients, putData, type SentTick } from "./testing/scenario.js";
import { expectWindowsServed } from "./testing/served.js";
import { shardOfKey } from "./testing/streams.js";
import { RestartableRuntime } from "./testing/test-runtime.js";

// Idle after 4 s; a gap of more than 8 s without any consumer or timer run counts as a stop.
const WINDOW = {
  sizeMs: 6_000,
  slideMs: 2_000,
  allowedLatenessMs: 1_000,
  idleTimeoutMs: 4_000,
  downtimeThresholdMs: 8_000,
};
const STOPPED_MS = 11_000;

/**
 * A stop longer than the downtime threshold, with a backlog on one shard only. While the runtime
 * is down nobody reads the stream; when it comes back, the shard with the backlog has not had a
 * batch for longer than the idle timeout. Were that counted as idleness, the watermark would jump
 * to the other shard's event time and the backlog would arrive late. The windows consumer notices
 * the gap and starts every shard's idle clock again, so every tick still counts.
 */
describe("local runtime after a long stop", () => {
  const local = new RestartableRuntime("downtime", {
    window: WINDOW,
    // Small batches, no batching window: the backlog takes many invocations.
    poller: { batchSize: 50, batchingWindowMs: 0, idlePollMs: 50 },
  });
  afterAll(() => local.dispose());

  it("does not take a shard with a backlog for idle", async () => {
    let rt = await local.start();
    const o = rt.outputs;
    let outside = outsideClients(o);

    // One instrument per shard: "lead" runs ahead in event time, "lag" has the backlog.
    const shardOf = await shardOfKey(outside.kinesis, o.pricesStream);
    const candidates = Array.from({ length: 50 }, (_, i) => `i${i}`);
    const lead = candidates[0]!;
    const lag = candidates.find((k) => shardOf(k) !== shardOf(lead))!;
    expect(lag).toBeDefined();

    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const leadTicks = makeTicks({
      count: 400,
      instruments: [lead],
      startTime: t0,
      stepMs: 100,
      seed: 1,
    });
    // lag: 40 s of event time, the first 5 s before the stop, the rest a backlog
    const lagTicks = makeTicks({
      count: 4000,
      instruments: [lag],
      startTime: t0,
      stepMs: 10,
      seed: 2,
    });
    const early = lagTicks.slice(0, 500);
    const backlog = lagTicks.slice(500);
    const items = (ts: SentTick[]) => ts.map((t) => ({ data: t.data, key: t.instrument }));

    await putData(outside.kinesis, o.pricesStream, [...items(leadTicks), ...items(early)]);
    await rt.waitForConsumers();
    // Within the idle timeout of the last batch: the lag shard is busy from here on.
    await putData(outside.kinesis, o.pricesStream, items(backlog));
    const rt1 = rt;
    const windowsInvocations = () =>
      rt1.status().consumers[CONSUMERS.windows.id]!.reduce((n, s) => n + s.invocations, 0);
    const before = windowsInvocations();
    await waitUntil(() => windowsInvocations() > before + 2, "the backlog to get going", 20_000);
    const status = rt.status();
    await local.stop();
    outside.destroy();
    // Stopped with the backlog still unread on the lag shard.
    const lagShard = shardOf(lag);
    expect(
      status.consumers[CONSUMERS.windows.id]!.find((s) => s.shardId === lagShard)!.caughtUp,
    ).toBe(false);

    await new Promise((r) => setTimeout(r, STOPPED_MS));

    rt = await local.start();
    outside = outsideClients(rt.outputs);
    await rt.waitForConsumers();
    const all = [...leadTicks, ...lagTicks];
    const token = await idToken(rt.outputs, outside.cognito);
    // Closed windows as emitted, open ones from their panes: a late tick is in neither.
    for (const instrument of [lead, lag]) {
      await expectWindowsServed(rt.outputs, token, all, instrument, WINDOW);
    }
    outside.destroy();
  });
});
