/**
 * `npm run produce -- [flags]`: put price ticks into the `prices` stream (or any stream), from
 * the seed's Kinesis Data Generator template, any KDG template, or the stock-trade JSON of the
 * Kinesis Data Analytics tutorials; one tick per record or many (KPL aggregated records,
 * newline-separated lines); locally or in AWS. See docs/tools.md.
 */
import type { AggregateMode } from "@tickstream/local/generator/pack";
import type { AggregateOptions, ProduceStats } from "../producer/producer.js";
import type { PutRecordsFn } from "../producer/putter.js";
import { DEFAULT_TICKERS } from "../producer/stock.js";
import type { Target } from "../target.js";
import {
  defineCommand,
  EXIT,
  parseByteSize,
  parseChoice,
  parseDuration,
  parseIntFlag,
  parseList,
  parseNumberFlag,
  runCli,
  TARGET_FLAGS,
  UsageError,
} from "./args.js";

const DEFAULT_RATE = 100;
/** Mirrors KPL_DEFAULT_MAX_BYTES and KINESIS_MAX_RECORD_BYTES of the packer (loaded later). */
const DEFAULT_AGGREGATE_BYTES = 51_200;
const MAX_RECORD_BYTES = 1024 * 1024;
const DEFAULT_AGGREGATE_LINGER = "100ms";

const command = defineCommand({
  name: "npm run produce --",
  summary:
    "Put price ticks into a Kinesis stream: the `prices` stream of the local runtime (from .local/outputs.json) " +
    "by default, or of a deployed stage. Records come from the Kinesis Data Generator template of the seed " +
    "project (default), from your own KDG template, or are stock-trade JSON; many ticks go into one Kinesis " +
    "record (a KPL aggregated record) unless --aggregate says otherwise. Runs until --count or --duration " +
    "is reached, or until Ctrl-C (which still delivers what is pending; press it twice to give up).",
  flags: {
    template: {
      type: "string",
      short: "t",
      value: "FILE|TEXT",
      description: "Kinesis Data Generator template: a file, or the template text itself",
    },
    format: {
      type: "string",
      short: "f",
      value: "kdg|stock",
      description: "kdg: the seed's KDG template; stock: stock-trade JSON",
      defaultText: "kdg",
    },
    tickers: {
      type: "string",
      value: "A,B,…",
      description: "tickers for --format stock",
      defaultText: DEFAULT_TICKERS.join(","),
    },
    rate: {
      type: "string",
      short: "r",
      value: "N",
      description:
        "ticks per second, however they are packed; 0 or max for as fast as the stream takes them",
      defaultText: String(DEFAULT_RATE),
    },
    count: {
      type: "string",
      short: "n",
      value: "N",
      description: "stop after N ticks (duplicates not counted)",
    },
    duration: {
      type: "string",
      short: "d",
      value: "TIME",
      description: "stop after this long: 500ms, 30s, 2m, 1h",
    },
    aggregate: {
      type: "string",
      value: "kpl|lines|none",
      description:
        "kpl: many ticks per Kinesis record as KPL aggregated records (each tick a sub-record with its own partition key); " +
        "lines: many ticks per record, one per line; none: one tick per record. Ticks are packed per partition key",
      defaultText: "kpl; none with --template",
    },
    "aggregate-max-bytes": {
      type: "string",
      value: "N",
      description:
        "most bytes of data in one packed record (51200, 50KiB, 1MiB; Kinesis takes at most 1 MiB with the key)",
      defaultText: "51200, the KPL's default",
    },
    "aggregate-linger": {
      type: "string",
      value: "TIME",
      description:
        "longest a tick waits for its packed record to fill (the KPL's RecordMaxBufferedTime)",
      defaultText: DEFAULT_AGGREGATE_LINGER,
    },
    "partition-key": {
      type: "string",
      short: "k",
      value: "MODE",
      description:
        "instrument (the record's instrument or TICKER), random, or a KDG template such as 'key-{{random.number(3)}}'",
      defaultText: "instrument",
    },
    "disorder-ms": {
      type: "string",
      value: "N",
      description:
        "hold each tick back by a random 0..N ms, so arrival order differs from event-time order",
      defaultText: "0",
    },
    duplicates: {
      type: "string",
      value: "P",
      description: "fraction of ticks (0..1) sent a second time",
      defaultText: "0",
    },
    seed: {
      type: "string",
      value: "S",
      description:
        "seed for every random choice (values, keys, disorder, duplicates); times still come from the clock",
    },
    "dry-run": {
      type: "boolean",
      description:
        "print what would be put on stdout instead of sending it: one record per line, or for packed records a summary line and its ticks",
    },
    "max-retries": {
      type: "string",
      value: "N",
      description: "resends of a failed record before it counts as undelivered",
      defaultText: "8",
    },
    concurrency: {
      type: "string",
      value: "N",
      description: "PutRecords calls in flight; more than 1 may reorder records of one key",
      defaultText: "1",
    },
    "keep-newlines": {
      type: "boolean",
      description: "keep the template's line breaks (the KDG trims the template and removes them)",
    },
    quiet: { type: "boolean", short: "q", description: "no progress line and no summary" },
    ...TARGET_FLAGS,
  },
  notes: [
    'Template helpers: random.number(max) or random.number({"min":1,"max":9,"precision":0.01}), random.arrayElement([...]), ' +
      'random.weightedArrayElement({"weights":[...],"data":[...]}), random.uuid, random.boolean, random.alphaNumeric(n), ' +
      "date.now('FORMAT'), date.utc('FORMAT') (moment formats; 'x' is epoch ms), and faker: {{name.firstName}}, {{internet.email}}, {{lorem.word}}, …",
    "Packing: ticks of one partition key share a record up to --aggregate-max-bytes, or until the first has waited --aggregate-linger; the record " +
      "goes with its first tick's key. With --partition-key random, ticks of any key share a record (in a KPL record each keeps its own key).",
    "Exit status: 0 when every tick was delivered, 1 when some could not be (the count is printed), 2 for a bad command line.",
  ],
  examples: [
    [
      "npm run produce -- --count 1000",
      "1000 ticks of the seed's template into the local runtime, 100 per second",
    ],
    ["npm run produce -- --format stock --rate 50 --duration 1m", "stock-trade JSON for a minute"],
    [
      "npm run produce -- --template ticks.hbs --partition-key random --rate max --count 100000",
      "your own template, as fast as possible",
    ],
    ["npm run produce -- --dry-run --count 5 --seed 42", "print five ticks without sending them"],
    [
      "npm run produce -- --rate 20000 --duration 1m",
      "20,000 ticks/s for a minute, in KPL aggregated records of up to 50 KiB",
    ],
    [
      "npm run produce -- --format stock --aggregate lines --aggregate-max-bytes 8KiB --count 10000",
      "stock trades, newline-separated, up to 8 KiB per record",
    ],
    [
      "npm run produce -- --aggregate none --rate 500",
      "one tick per record, as the Kinesis Data Generator puts them",
    ],
    [
      "npm run produce -- --disorder-ms 3000 --duplicates 0.05 --duration 30s",
      "late and duplicated ticks, to exercise the window consumer",
    ],
    [
      "npm run produce -- --stage prod --region eu-west-1 --rate 500",
      "into a deployed stage's prices stream",
    ],
  ],
});

runCli(command, async () => {
  const flags = command.parse();
  // Loaded once the command line is known to be good: --help and usage errors stay quick.
  const [{ createSource, loadTemplate }, { produce }, { makeRng }, { checkStream, resolveTarget }] =
    await Promise.all([
      import("../producer/formats.js"),
      import("../producer/producer.js"),
      import("../producer/random.js"),
      import("../target.js"),
    ]);

  // ---- what to produce (every template problem is reported here, before anything is sent)
  if (flags.template !== undefined && flags.format !== undefined) {
    throw new UsageError(
      "--template and --format exclude each other (a template is its own format)",
    );
  }
  const format =
    flags.template !== undefined
      ? "template"
      : parseChoice("format", flags.format ?? "kdg", ["kdg", "stock"] as const);
  if (flags.tickers !== undefined && format !== "stock")
    throw new UsageError("--tickers goes with --format stock");
  const rateText = flags.rate ?? String(DEFAULT_RATE);
  const rate = rateText === "max" ? null : parseNumberFlag("rate", rateText, { min: 0 });
  const count =
    flags.count !== undefined ? parseIntFlag("count", flags.count, { min: 0 }) : undefined;
  const durationMs =
    flags.duration !== undefined ? parseDuration("duration", flags.duration) : undefined;
  const disorderMs = parseIntFlag("disorder-ms", flags["disorder-ms"] ?? "0", {
    min: 0,
    max: 3_600_000,
  });
  const duplicates = parseNumberFlag("duplicates", flags.duplicates ?? "0", { min: 0, max: 1 });
  const maxRetries = parseIntFlag("max-retries", flags["max-retries"] ?? "8", { min: 0, max: 100 });
  const concurrency = parseIntFlag("concurrency", flags.concurrency ?? "1", { min: 1, max: 64 });
  const rng = makeRng(flags.seed);
  const aggregateMode = parseChoice(
    "aggregate",
    flags.aggregate ?? (format === "template" ? "none" : "kpl"),
    ["kpl", "lines", "none"] as const satisfies readonly AggregateMode[],
  );
  for (const flag of ["aggregate-max-bytes", "aggregate-linger"] as const) {
    if (flags[flag] !== undefined && aggregateMode === "none")
      throw new UsageError(`--${flag} goes with --aggregate kpl or lines`);
  }
  if (aggregateMode === "lines" && flags["keep-newlines"])
    throw new UsageError(
      "--aggregate lines and --keep-newlines exclude each other (a line break would split a record)",
    );
  const aggregate: AggregateOptions = {
    mode: aggregateMode,
    maxBytes: parseByteSize(
      "aggregate-max-bytes",
      flags["aggregate-max-bytes"] ?? String(DEFAULT_AGGREGATE_BYTES),
      { min: 1, max: MAX_RECORD_BYTES },
    ),
    lingerMs: parseDuration(
      "aggregate-linger",
      flags["aggregate-linger"] ?? DEFAULT_AGGREGATE_LINGER,
    ),
    // Random keys place ticks on any shard anyway: let ticks of different keys share a record.
    ...(flags["partition-key"] === "random" ? { groupOf: () => "" } : {}),
  };

  let templateText: string | undefined;
  if (flags.template !== undefined) {
    try {
      templateText = loadTemplate(flags.template).text;
    } catch (err) {
      throw new UsageError(`--template: ${(err as Error).message}`, false);
    }
  }
  let source;
  try {
    source = createSource({
      format,
      template: templateText,
      stock: flags.tickers !== undefined ? { tickers: parseList(flags.tickers) } : undefined,
      partitionKey: flags["partition-key"] ?? "instrument",
      rng,
      keepNewlines: flags["keep-newlines"],
    });
  } catch (err) {
    const message = (err as Error).message;
    const prefix = flags.template !== undefined && !message.startsWith("--") ? "--template: " : "";
    throw new UsageError(`${prefix}${message}`, false);
  }

  // ---- where to send it
  let target: Target | undefined;
  let put: PutRecordsFn;
  if (flags["dry-run"]) {
    put = dryRunSink(aggregateMode, (await import("@tickstream/core/ticks/kpl")).decodeAggregated);
  } else {
    target = resolveTarget(flags, "prices", { maxAttempts: 1 });
    const check = await checkStream(target);
    if (check.status !== "ACTIVE" && check.status !== "UPDATING") {
      process.stderr.write(`warning: ${target.description} is ${check.status}\n`);
    }
    const client = target.client;
    const { PutRecordsCommand } = await import("@aws-sdk/client-kinesis");
    put = (request, signal) =>
      client.send(new PutRecordsCommand(request), { abortSignal: signal as never });
  }

  // ---- run, with Ctrl-C / SIGTERM: first stops generating and delivers what is pending, second gives up
  const stop = new AbortController();
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      if (!flags.quiet)
        process.stderr.write(
          `\n${signal}: stopping, delivering pending records (again to give up)\n`,
        );
      stop.abort();
    } else abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    // `--dry-run | head`: the reader went away; stop quietly.
    if (err.code === "EPIPE") {
      stop.abort();
      abort.abort();
    }
  });

  const showProgress = !flags.quiet && process.stderr.isTTY === true;
  const stats = await produce({
    source,
    put,
    streamName: target?.streamName ?? "dry-run",
    rng,
    rate: rate === 0 ? null : rate,
    aggregate,
    count,
    durationMs,
    disorderMs,
    duplicates,
    concurrency,
    retry: { maxRetries, baseDelayMs: 100, maxDelayMs: 5_000, random: () => rng.next() },
    stop: stop.signal,
    abort: abort.signal,
    onProgress: showProgress
      ? (s) => process.stderr.write(`\r\x1b[K${progressLine(s, aggregateMode)}`)
      : undefined,
  });
  if (showProgress) process.stderr.write("\r\x1b[K");
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);

  if (!flags.quiet)
    process.stderr.write(
      `${summary(stats, target?.description ?? "stdout (dry run)", aggregateMode)}\n`,
    );
  target?.client.destroy();
  if (stats.fatal) process.stderr.write(`error: ${stats.fatal}\n`);
  if (stats.failed > 0) {
    const why = Object.entries(stats.failures)
      .map(([code, n]) => `${code}: ${n}`)
      .join(", ");
    const unit = aggregateMode === "none" ? "record" : "tick";
    process.stderr.write(
      `error: ${stats.failed} ${unit}${stats.failed === 1 ? "" : "s"} could not be delivered (${why})\n`,
    );
    return EXIT.failure;
  }
  return stop.signal.aborted && abort.signal.aborted ? EXIT.interrupted : EXIT.ok;
});

/**
 * Prints what would be put. One tick per record: the record, one per line. Packed records: a
 * summary line (a comment, so the output is not mistaken for records) and the ticks it holds,
 * indented; KPL records are read back with the consumers' decoder, so this shows what they see.
 */
function dryRunSink(
  mode: AggregateMode,
  decodeAggregated: typeof import("@tickstream/core/ticks/kpl").decodeAggregated,
): PutRecordsFn {
  const decoder = new TextDecoder();
  let n = 0;
  return async (request) => {
    let out = "";
    for (const r of request.Records) {
      n++;
      if (mode === "none") {
        out += `${decoder.decode(r.Data)}\n`;
        continue;
      }
      let lines: string[];
      let keys = new Set([r.PartitionKey]);
      if (mode === "kpl") {
        const agg = decodeAggregated(r.Data);
        if (!agg.ok) throw new Error(`record ${n} is not a readable KPL record: ${agg.reason}`);
        lines = agg.records.map((sub) => decoder.decode(sub.data));
        keys = new Set(agg.records.map((sub) => (sub.ok ? sub.partitionKey : "?")));
      } else lines = decoder.decode(r.Data).split("\n");
      const keyText = keys.size > 1 ? `, ${keys.size} keys in its table` : "";
      out +=
        `# record ${n}: ${mode}, ${lines.length} tick${lines.length === 1 ? "" : "s"}, ` +
        `${r.Data.byteLength.toLocaleString("en")} bytes, partition key ${r.PartitionKey}${keyText}\n`;
      for (const line of lines) out += `  ${line}\n`;
    }
    if (!process.stdout.write(out))
      await new Promise((resolve) => process.stdout.once("drain", resolve));
    return {
      FailedRecordCount: 0,
      Records: request.Records.map(() => ({ SequenceNumber: "0", ShardId: "dry-run" })),
    };
  };
}

function perSecond(n: number, ms: number): string {
  return ms > 0 ? ((n * 1000) / ms).toFixed(1) : "0.0";
}

function progressLine(s: ProduceStats, mode: AggregateMode): string {
  const sent =
    mode === "none"
      ? `sent ${s.delivered.toLocaleString("en")}`
      : `sent ${s.delivered.toLocaleString("en")} ticks in ${s.recordsDelivered.toLocaleString("en")} records`;
  return (
    `${sent}  ${perSecond(s.delivered, s.elapsedMs)}${mode === "none" ? "" : " ticks"}/s  ` +
    `pending ${s.pending}  retries ${s.retried}  throttled ${s.throttled}  failed ${s.failed}  ${(s.elapsedMs / 1000).toFixed(1)} s`
  );
}

function summary(s: ProduceStats, where: string, mode: AggregateMode): string {
  if (mode === "none") {
    return (
      `${s.generated} records${s.duplicates ? ` + ${s.duplicates} duplicates` : ""} to ${where} in ${(s.elapsedMs / 1000).toFixed(2)} s: ` +
      `${s.delivered} delivered (${perSecond(s.delivered, s.elapsedMs)}/s) in ${s.batches} batches, ` +
      `${s.retried} resent (${s.throttled} throttled), ${s.failed} failed`
    );
  }
  return (
    `${s.generated} ticks${s.duplicates ? ` + ${s.duplicates} duplicates` : ""} to ${where} in ${(s.elapsedMs / 1000).toFixed(2)} s: ` +
    `${s.delivered} delivered (${perSecond(s.delivered, s.elapsedMs)}/s) in ${s.recordsDelivered} ${mode} records and ${s.batches} batches, ` +
    `${s.retried} records resent (${s.throttled} throttled), ${s.failed} failed` +
    (s.recordsFailed ? ` (in ${s.recordsFailed} records)` : "")
  );
}
