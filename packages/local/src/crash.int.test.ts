import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONSUMERS } from "@tickstream/core/resources";
import { parseWindowRecord } from "@tickstream/core/windows/result";
import { afterAll, describe, expect, it } from "vitest";
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { compareSequence } from "./poller/checkpoint.js";
import { isPortFree, type PortMap } from "./ports.js";
import { isProcessAlive } from "./servers/processes.js";
import {
  expectedLatest,
  expectedWindows,
  getJson,
  idToken,
  makeTicks,
  outsideClients,
  portsOf,
  putData,
  type SentTick,
} from "./testing/scenario.js";
import {
  portFlags,
  readOutputsFile,
  startRuntimeProcess,
  userEnv,
  type RuntimeProcess,
} from "./testing/runtime-process.js";
import { StreamTail, shardOfKey } from "./testing/streams.js";
import { waitUntil } from "./timing.js";

// Small windows; shards never go idle within the test, so the watermark moves with the data
// alone and every result is fixed by what was put.
const WINDOW = { sizeMs: 6_000, slideMs: 2_000, allowedLatenessMs: 1_000 };
const ENV = userEnv({
  TICKSTREAM_WINDOW_SIZE_MS: String(WINDOW.sizeMs),
  TICKSTREAM_WINDOW_SLIDE_MS: String(WINDOW.slideMs),
  TICKSTREAM_ALLOWED_LATENESS_MS: String(WINDOW.allowedLatenessMs),
  TICKSTREAM_IDLE_TIMEOUT_MS: String(10 * 60_000),
});
const INSTRUMENTS = ["1", "2", "3", "4", "5", "6", "7", "8"];
const READY = "Press Ctrl-C to stop.";

interface PidFile {
  guard: { pid: number };
  command: { pid: number };
}

/**
 * `kill -9` of the whole `npm start` process group (a closed terminal, the OOM killer) at the
 * worst moments: in the middle of the consumers' batches, right after a restart (this time with
 * cognito-local's guard killed too, so that cognito-local is left holding its port), and while
 * windows are being emitted. Every restart must come up on the same data and the same ports; at
 * the end every valid tick is in the latest prices, every window is on the `windows` stream
 * exactly once and equal to a brute-force computation, nothing is left half done, and a Ctrl-C
 * leaves no process, port or file behind.
 */
describe("local runtime after kill -9", () => {
  let dir: string | undefined;
  let run: RuntimeProcess | undefined;
  afterAll(async () => {
    await run?.signalGroup("SIGKILL");
    if (dir) {
      const pidFile = join(dir, "logs", "cognito.pid");
      if (existsSync(pidFile)) {
        const pids = JSON.parse(readFileSync(pidFile, "utf8")) as PidFile;
        // Whatever a failed check left running: the guard, and cognito-local's group.
        for (const pid of [pids.guard.pid, -pids.command.pid]) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // gone
          }
        }
      }
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("comes back on the same data: nothing lost, nothing emitted twice, nothing left over", async () => {
    dir = await mkdtemp(join(tmpdir(), "tickstream-crash-"));
    const dataDir = dir;
    const base = ["--no-web", "--no-generator", "--data-dir", dataDir];
    const cognitoPids = () =>
      JSON.parse(readFileSync(join(dataDir, "logs", "cognito.pid"), "utf8")) as PidFile;
    /** Kills the group and checks that the guard takes cognito-local and outputs.json with it. */
    const crash = async (r: RuntimeProcess, alsoGuard = false) => {
      const pids = cognitoPids();
      if (alsoGuard) process.kill(pids.guard.pid, "SIGKILL");
      await r.signalGroup("SIGKILL");
      if (!alsoGuard) {
        await waitUntil(
          () => !isProcessAlive(pids.guard.pid) && !isProcessAlive(pids.command.pid),
          "the guard to take cognito-local down",
          10_000,
        );
        expect(existsSync(join(dataDir, "outputs.json"))).toBe(false);
      }
      // The lock stays: it tells the next start that this run did not stop.
      expect(existsSync(join(dataDir, "runtime.lock"))).toBe(true);
      return pids;
    };

    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const items = (ts: SentTick[]) => ts.map((t) => ({ data: t.data, key: t.instrument }));
    const partA = makeTicks({ count: 3000, instruments: INSTRUMENTS, startTime: t0, stepMs: 10 });

    // Run 1: kill it in the middle of the consumers' batches.
    run = startRuntimeProcess([...base, "--auto-ports"], ENV);
    await run.waitFor(READY, 60_000);
    const o = readOutputsFile(dataDir);
    expect(o.windowSizeMs).toBe(WINDOW.sizeMs);
    const ports: Partial<PortMap> = portsOf(o);
    let outside = outsideClients(o);
    const shardOf = await shardOfKey(outside.kinesis, o.pricesStream);
    const shards = [...new Set(INSTRUMENTS.map(shardOf))].sort();
    expect(shards).toHaveLength(2);
    const lastA = await putData(outside.kinesis, o.pricesStream, items(partA));
    const checkpoint = (consumer: string, shard: string) => {
      const file = join(dataDir, "checkpoints", consumer, o.pricesStream, `${shard}.json`);
      try {
        return (JSON.parse(readFileSync(file, "utf8")) as { sequenceNumber: string })
          .sequenceNumber;
      } catch {
        return undefined;
      }
    };
    const reached = (consumer: string, last: Map<string, string>) =>
      [...last].every(([shard, seq]) => {
        const at = checkpoint(consumer, shard);
        return at !== undefined && compareSequence(at, seq) >= 0;
      });
    const consumers = [CONSUMERS.latest.id, CONSUMERS.windows.id];
    const started = () => consumers.some((c) => shards.some((s) => checkpoint(c, s)));
    await waitUntil(started, "the consumers to get going", 30_000, 5);
    outside.destroy();
    await crash(run);
    expect(consumers.every((c) => reached(c, lastA))).toBe(false);

    // Run 2, on the same ports: kill it as soon as it is up, and cognito-local's guard with it.
    run = startRuntimeProcess([...base, ...portFlags(ports)], ENV);
    await run.waitFor(READY, 60_000);
    expect(run.output()).toContain("did not stop cleanly");
    const orphan = await crash(run, true);
    // The guard is gone; cognito-local still holds its port.
    expect(isProcessAlive(orphan.command.pid)).toBe(true);
    expect(await isPortFree(ports.cognito!)).toBe(false);

    // Run 3: reaps cognito-local and comes up on its port. Forty seconds of event time go to the
    // instruments of one shard while the other shard holds the watermark back; then the other
    // shard catches up in one batch, and the watermark passes some 170 windows at once. Killed
    // as soon as the first of them is on the windows stream, while the rest are being recorded.
    run = startRuntimeProcess([...base, ...portFlags(ports)], ENV);
    await run.waitFor(READY, 60_000);
    expect(run.output()).toContain("1 process(es) it left running stopped");
    expect(isProcessAlive(orphan.command.pid)).toBe(false);
    outside = outsideClients(o);
    const [ahead, behind] = shards.map((s) => INSTRUMENTS.filter((i) => shardOf(i) === s)) as [
      string[],
      string[],
    ];
    const tB = partA[partA.length - 1]!.eventTime + 10;
    const partB1 = makeTicks({ count: 400, instruments: ahead, startTime: tB, stepMs: 100 });
    const partB2 = makeTicks({ count: 80, instruments: behind, startTime: tB, stepMs: 500 });
    const lastB1 = await putData(outside.kinesis, o.pricesStream, items(partB1));
    await waitUntil(
      () => reached(CONSUMERS.windows.id, lastA) && reached(CONSUMERS.windows.id, lastB1),
      "the windows consumer to take the first shard's ticks",
      30_000,
    );
    const windowsTail = new StreamTail(o.windowsStream);
    await windowsTail.poll(outside.kinesis);
    const before = windowsTail.records.length;
    await putData(outside.kinesis, o.pricesStream, items(partB2));
    await waitUntil(
      async () => (await windowsTail.poll(outside.kinesis)).length > 0,
      "windows to be emitted",
      30_000,
      0,
    );
    outside.destroy();
    await crash(run);
    expect(windowsTail.records.length).toBeGreaterThan(before);
    const ticks = [...partA, ...partB1, ...partB2];

    // Run 4: close every window (a tick far ahead in event time on every shard), then check.
    run = startRuntimeProcess([...base, ...portFlags(ports)], ENV);
    await run.waitFor(READY, 60_000);
    // The kill came between the put of some windows and the record of it.
    expect(run.output()).toMatch(/[1-9]\d* window emission\(s\) it had begun settled/);
    outside = outsideClients(o);
    const end = ticks[ticks.length - 1]!.eventTime + WINDOW.sizeMs + 2 * WINDOW.slideMs;
    const sentinels = [...Array(64).keys()].map((i) => `s${i}`);
    const perShard = shards.map((s) => sentinels.find((k) => shardOf(k) === s)!);
    await putData(
      outside.kinesis,
      o.pricesStream,
      perShard.map((key) => ({
        key,
        data: `sequence=${end}|reception=${end}|instrument=${key}|l=0|price_0=100|`,
      })),
    );

    const expected = INSTRUMENTS.flatMap((instrument) =>
      expectedWindows(ticks, instrument, WINDOW.sizeMs, WINDOW.slideMs).map((w) => ({
        instrument,
        ...w,
      })),
    );
    const emitted = () =>
      windowsTail.records
        .map((r) => parseWindowRecord(Buffer.from(r.Data!).toString("utf8")))
        .filter((w) => INSTRUMENTS.includes(w.instrument));
    await waitUntil(
      async () => {
        await windowsTail.poll(outside.kinesis);
        return emitted().length >= expected.length;
      },
      "every window to be emitted",
      30_000,
      200,
    );
    // A little longer than a timer period: nothing more comes.
    await new Promise((r) => setTimeout(r, 1_500));
    await windowsTail.poll(outside.kinesis);
    const byKey = (w: { instrument: string; windowStart: number }) =>
      `${w.instrument.padStart(4, "0")}#${w.windowStart}`;
    const sorted = <T extends { instrument: string; windowStart: number }>(ws: T[]) =>
      [...ws].sort((a, b) => (byKey(a) < byKey(b) ? -1 : byKey(a) > byKey(b) ? 1 : 0));
    expect(sorted(emitted())).toEqual(sorted(expected));

    // Nothing half done: no emission claim left open. (One left open would hold its window
    // for the claim's lease, a minute, and then put it on the stream a second time.)
    const dynamodb = new DynamoDBClient({
      region: o.region,
      endpoint: o.dynamodbEndpoint,
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    const open = await dynamodb.send(
      new QueryCommand({
        TableName: o.tableNames.state,
        KeyConditionExpression: "pk = :pk",
        FilterExpression: "attribute_not_exists(emittedAt)",
        ExpressionAttributeValues: { ":pk": { S: "emit" } },
      }),
    );
    dynamodb.destroy();
    expect(open.Items ?? []).toEqual([]);

    const token = await idToken(o, outside.cognito);
    const latest = await getJson<{ instrument: string; price: number; eventTime: number }[]>(
      o,
      "/instruments",
      token,
    );
    expect(latest.status).toBe(200);
    expect(
      latest.body
        .filter((l) => INSTRUMENTS.includes(l.instrument))
        .map(({ instrument, price, eventTime }) => ({ instrument, price, eventTime })),
    ).toEqual(expectedLatest(ticks));
    outside.destroy();

    // Ctrl-C: every process, port and file of the run goes.
    const last = cognitoPids();
    const stopping = run;
    await run.signalGroup("SIGINT");
    run = undefined;
    expect(stopping.output()).toContain("Stopped.");
    await waitUntil(
      () => !isProcessAlive(last.guard.pid) && !isProcessAlive(last.command.pid),
      "cognito-local to stop",
      10_000,
    );
    for (const port of Object.values(ports)) expect(await isPortFree(port)).toBe(true);
    for (const file of ["outputs.json", "runtime.lock", "logs/cognito.pid"])
      expect(existsSync(join(dataDir, file)), file).toBe(false);
  });
});
