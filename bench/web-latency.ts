/**
 * Tick put -> dashboard chart shows it: end-to-end latency through the whole local stack
 * (Kinesis, event-source poller, latest consumer, DynamoDB, API with JWT checks, the dashboard's
 * one-second poll, React render), measured in headless Chromium.
 *
 *   npx tsx bench/web-latency.ts [--ticks N] [--json]
 *
 * Each sample: note the time, put one tick with a price never used before into the prices stream,
 * and wait until the chart of the selected instrument carries that price as its last point
 * (`data-last-price` of the chart figure, written in the same React commit as the chart's SVG).
 * Puts are spaced by a random 0.5–1.5 s so that they land at every phase of the poll.
 */
import { KinesisClient, PutRecordCommand } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodePipe } from "../packages/core/src/ticks/encode.js";
import { startLocal, type StartLocalOptions } from "../packages/local/src/runtime.js";
import { launchChromium } from "../packages/web/e2e/chromium.js";
import { percentile } from "./stats.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export interface WebLatencyResult {
  ticks: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  minMs: number;
  samplesMs: number[];
  /** How the dashboard ran: `next start` of the production build, as `npm start` serves it (runs made before it did: `next dev`). */
  server: "next dev" | "next start";
}

const cents = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, "0")}`;
const record = (instrument: string, c: number, t: number) =>
  encodePipe({ instrument, eventTime: t, receivedAt: t, level: 1, pricesCents: [c] });

export async function measureWebLatency(
  opts: { ticks?: number; log?: (m: string) => void; runtime?: Partial<StartLocalOptions> } = {},
): Promise<WebLatencyResult> {
  const n = opts.ticks ?? 40;
  const log = opts.log ?? (() => undefined);
  const dataDir = await mkdtemp(join(tmpdir(), "tickstream-bench-web-"));
  const profile = await mkdtemp(join(tmpdir(), "tickstream-bench-chromium-"));
  log("starting the local runtime with the dashboard…");
  const rt = await startLocal({
    ...opts.runtime,
    dataDir,
    ports: "auto",
    web: true,
    generator: false,
    quiet: true,
  });
  const kinesis = new KinesisClient({
    region: rt.outputs.region,
    endpoint: rt.outputs.kinesisEndpoint,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    requestHandler: new NodeHttpHandler(),
  });
  const instrument = "900";
  const put = (c: number) =>
    kinesis.send(
      new PutRecordCommand({
        StreamName: rt.outputs.pricesStream,
        PartitionKey: instrument,
        Data: Buffer.from(record(instrument, c, Date.now())),
      }),
    );
  const context = await launchChromium(profile);
  try {
    await put(10_000);
    await rt.waitForConsumers();
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(rt.outputs.webUrl!);
    await page.getByTestId("username").fill(rt.outputs.demoUser.username, { timeout: 120_000 });
    await page.getByTestId("password").fill(rt.outputs.demoUser.password);
    await page.getByTestId("signin-submit").click();
    await page.getByTestId(`instrument-${instrument}`).click({ timeout: 60_000 });
    const lastPriceIs = (text: string) =>
      page.waitForFunction(
        `document.querySelector('[data-testid="price-chart"][data-instrument="${instrument}"]')?.getAttribute("data-last-price") === ${JSON.stringify(text)}`,
        undefined,
        { polling: 20, timeout: 30_000 },
      );
    await lastPriceIs(cents(10_000));
    // one warm-up round (the chart's chunk, loaded after the first paint)
    await put(10_001);
    await lastPriceIs(cents(10_001));

    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 1000));
      const c = 10_002 + i;
      const t0 = Date.now();
      await put(c);
      await lastPriceIs(cents(c));
      samples.push(Date.now() - t0);
      log(`tick ${i + 1}/${n}: ${samples.at(-1)} ms`);
    }
    return {
      ticks: n,
      p50Ms: Math.round(percentile(samples, 50)),
      p95Ms: Math.round(percentile(samples, 95)),
      maxMs: Math.max(...samples),
      minMs: Math.min(...samples),
      samplesMs: samples,
      server: "next start",
    };
  } finally {
    await context.close();
    kinesis.destroy();
    await rt.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--ticks");
  const ticks = at >= 0 ? Number(args[at + 1]) : undefined;
  const result = await measureWebLatency({
    ticks,
    log: args.includes("--json") ? undefined : (m) => console.error(m),
  });
  if (args.includes("--json")) console.log(JSON.stringify(result));
  else
    console.log(
      `tick put -> chart: p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms (min ${result.minMs}, max ${result.maxMs}) over ${result.ticks} ticks, dashboard on ${result.server}`,
    );
}
