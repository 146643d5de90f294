import { afterAll, describe, expect, it } from "vitest";
import { waitUntil } from "./timing.js";
import { archivedLines, listKeys, multiset } from "./testing/archive.js";
import { idToken, makeTicks, outsideClients, putData } from "./testing/scenario.js";
import { expectLatestServed, expectSeriesServed, expectWindowsServed } from "./testing/served.js";
import { RestartableRuntime } from "./testing/test-runtime.js";

const WINDOW = { sizeMs: 6_000, slideMs: 2_000, allowedLatenessMs: 1_000, idleTimeoutMs: 60_000 };
const INSTRUMENTS = ["1", "2", "3", "4", "5", "6", "7", "8"];

/**
 * Stop in the middle of a stream and start again on the same data directory: every tick is
 * reflected exactly once (results equal a brute-force computation over what was sent) and the
 * archive holds every raw record exactly once.
 */
describe("local runtime across a restart", () => {
  const local = new RestartableRuntime("restart", {
    window: WINDOW,
    // Small batches, no batching window: the consumers are busy when the stop comes.
    poller: { batchSize: 100, batchingWindowMs: 0, idlePollMs: 50 },
    archive: { bufferIntervalMs: 200, bufferSizeBytes: 16 * 1024 },
  });
  afterAll(() => local.dispose());

  it("resumes from its checkpoints: nothing lost, nothing counted twice", async () => {
    const startTime = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const ticks = makeTicks({
      count: 4000,
      instruments: INSTRUMENTS,
      startTime,
      stepMs: 7,
      seed: 7,
    });
    const items = ticks.map((t) => ({ data: t.data, key: t.instrument }));

    let rt = await local.start();
    const o = rt.outputs;
    let outside = outsideClients(o);
    await putData(outside.kinesis, o.pricesStream, items.slice(0, 2500));
    // Let the consumers get going, then stop them mid-stream.
    const rt1 = rt;
    await waitUntil(
      () =>
        Object.values(rt1.status().consumers)
          .flat()
          .reduce((n, s) => n + s.invocations, 0) > 4,
      "the consumers to get going",
      20_000,
    );
    const before = rt.status();
    await local.stop();
    outside.destroy();
    // Stopped mid-stream: not every record had been dealt with.
    expect(
      Object.values(before.consumers)
        .flat()
        .some((s) => !s.caughtUp),
    ).toBe(true);

    rt = await local.start();
    outside = outsideClients(rt.outputs);
    await putData(outside.kinesis, rt.outputs.pricesStream, items.slice(2500));
    await rt.waitForConsumers();
    await rt.flushArchive();

    const token = await idToken(rt.outputs, outside.cognito);
    await expectLatestServed(rt.outputs, token, ticks);
    for (const instrument of INSTRUMENTS) {
      await expectWindowsServed(rt.outputs, token, ticks, instrument, WINDOW);
      await expectSeriesServed(rt.outputs, token, ticks, instrument, WINDOW.slideMs);
    }

    // The archive: every raw record exactly once.
    const lines = await archivedLines(outside.s3, rt.outputs.archiveBucket);
    expect(multiset(lines)).toEqual(multiset(ticks.map((t) => t.data)));
    expect(await listKeys(outside.s3, rt.outputs.archiveBucket, "failed-batches/")).toEqual([]);
    outside.destroy();
  });
});
