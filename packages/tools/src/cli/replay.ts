/**
 * `npm run replay -- --from TIME --to TIME [flags]`: put the archived raw records of a time
 * range back into the prices stream, locally or in a deployed stage. The range selects
 * ARRIVAL hours (the archive's `raw/YYYY/MM/DD/HH/` prefixes), not event times. See
 * docs/runbook.md for when and how to replay.
 */
import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { PutRecordsFn } from "../producer/putter.js";
import { resolveArchive } from "../replay/archive-target.js";
import { replay, type ReplayReport } from "../replay/replay.js";
import { checkStream, describeError, resolveTarget, TARGET_FLAGS } from "../target.js";
import {
  defineCommand,
  EXIT,
  parseChoice,
  parseIntFlag,
  parseNumberFlag,
  parseTimestamp,
  runCli,
  UsageError,
} from "./args.js";

const command = defineCommand({
  name: "npm run replay --",
  summary:
    "Read the raw records the archive holds for a time range and put them back into the prices stream, " +
    "in the order they were archived: the local runtime's (from .local/outputs.json) by default, or a deployed " +
    "stage's. The range selects whole ARRIVAL hours: every object under raw/YYYY/MM/DD/HH/ for each UTC hour " +
    "that overlaps [--from, --to) is replayed; the records keep their own event times.",
  flags: {
    from: {
      type: "string",
      value: "TIME",
      description: "start of the range (inclusive): ISO-8601 (2026-11-22T10:00:00Z) or epoch ms",
    },
    to: { type: "string", value: "TIME", description: "end of the range (exclusive)" },
    source: {
      type: "string",
      value: "raw|dead-letters",
      description:
        "raw: the archived stream (raw/, by arrival hour); dead-letters: the bad records set aside under dead-letters/ " +
        "(by arrival day, filtered to arrival times in the range, each once), to put back after fixing their cause",
      defaultText: "raw",
    },
    "dry-run": {
      type: "boolean",
      description: "only count the objects and records the range holds; put nothing",
    },
    bucket: {
      type: "string",
      value: "NAME",
      description: "archive bucket (default: from the local or the stage's outputs)",
    },
    "s3-endpoint": {
      type: "string",
      value: "URL",
      description: "S3 endpoint (default: from the local outputs, or AWS)",
    },
    rate: {
      type: "string",
      value: "N",
      description: "records per second at most (default: as fast as the stream takes them)",
    },
    "max-retries": {
      type: "string",
      value: "N",
      description: "resends of a failed record before it counts as undelivered",
      defaultText: "8",
    },
    json: { type: "boolean", description: "print the summary as JSON" },
    quiet: { type: "boolean", short: "q", description: "no progress lines" },
    ...TARGET_FLAGS,
  },
  notes: [
    "Replayed records are archived again (under the hour they are replayed in), and the consumers treat them " +
      "as any record: the latest price keeps the newest tick by event time, window maxima merge idempotently, " +
      "and ticks older than the current watermark are late. To rebuild results, empty the tables first " +
      "(docs/runbook.md).",
    "Exit status: 0 when every record was put, 1 when some could not be (the reasons are printed), 2 for a bad command line.",
  ],
  examples: [
    [
      "npm run replay -- --from 2026-11-22T10:00:00Z --to 2026-11-22T12:00:00Z --dry-run",
      "count what two hours of the local archive hold",
    ],
    [
      "npm run replay -- --from 2026-11-22T10:00:00Z --to 2026-11-22T12:00:00Z",
      "replay them into the local runtime",
    ],
    [
      "npm run replay -- --stage staging --from 2026-11-22T10:00Z --to 2026-11-22T11:00Z --rate 2000",
      "replay an hour of stage staging's archive at 2000 records/s (bucket and stream from .sst/outputs.json)",
    ],
    [
      "npm run replay -- --stage staging --source dead-letters --from 2026-11-22T00:00Z --to 2026-11-23T00:00Z --dry-run",
      "count the bad records set aside on one day (then run without --dry-run once their cause is fixed)",
    ],
    [
      "npm run replay -- --stage prod --bucket prod-tickstream-archive-xyz --stream prod-tickstream-Prices --region eu-west-1 --from 1763805600000 --to 1763809200000",
      "name the bucket and the stream explicitly",
    ],
  ],
});

function summary(r: ReplayReport, dryRun: boolean): string {
  const from = new Date(r.fromMs).toISOString();
  const to = new Date(r.toMs).toISOString();
  const lines = [
    `${r.source} [${from}, ${to}): ${r.prefixes.length} arrival ${r.source === "raw" ? "hour" : "day"}(s), ` +
      `${r.objects} object(s), ${r.records} record(s), ${r.bytes} bytes`,
    `  ${r.decodable} decode as ticks, ${r.records - r.decodable} do not (they are dead-lettered again)`,
  ];
  if (r.source === "dead-letters") {
    lines.push(
      `  ${r.outOfRange} dead letter(s) outside the range, ${r.duplicates} repeated, ${r.unreadable} unreadable line(s)`,
    );
  }
  if (r.skippedEmpty) lines.push(`  ${r.skippedEmpty} empty line(s) skipped`);
  if (r.skippedTooLarge) lines.push(`  ${r.skippedTooLarge} record(s) over 1 MiB skipped`);
  if (!dryRun) {
    lines.push(
      `put: ${r.delivered} delivered, ${r.failed} failed, ${r.retried} resent, ${r.throttled} throttled`,
    );
    for (const [code, n] of Object.entries(r.failures)) lines.push(`  ${n} failed with ${code}`);
  } else lines.push("dry run: nothing was put");
  if (r.fatal) lines.push(`stopped: ${r.fatal}`);
  return lines.join("\n");
}

runCli(command, async () => {
  const flags = command.parse();
  if (flags.from === undefined || flags.to === undefined)
    throw new UsageError("--from and --to are both required");
  const fromMs = parseTimestamp("from", flags.from);
  const toMs = parseTimestamp("to", flags.to);
  if (toMs <= fromMs) throw new UsageError("--to must be later than --from");
  const rate =
    flags.rate !== undefined ? parseNumberFlag("rate", flags.rate, { min: 1 }) : undefined;
  const maxRetries = parseIntFlag("max-retries", flags["max-retries"] ?? "8", { min: 0, max: 100 });
  const dryRun = flags["dry-run"] === true;
  const source = parseChoice("source", flags.source ?? "raw", ["raw", "dead-letters"] as const);

  const target = resolveTarget(flags, "prices", { maxAttempts: 1 });
  const archive = resolveArchive(flags, target);
  const log = (msg: string) => {
    if (!flags.quiet) process.stderr.write(`${msg}\n`);
  };
  log(`archive: ${archive.description}`);
  if (!dryRun) {
    await checkStream(target);
    log(`stream:  ${target.description}`);
  }

  const put: PutRecordsFn = (request, signal) =>
    target.client.send(new PutRecordsCommand(request), { abortSignal: signal as never });
  const abort = new AbortController();
  const onSignal = () => {
    log("interrupted: finishing the call in flight");
    abort.abort();
  };
  process.once("SIGINT", onSignal);
  let lastProgress = 0;
  let report: ReplayReport;
  try {
    report = await replay({
      s3: archive.client,
      bucket: archive.bucket,
      put,
      streamName: target.streamName,
      fromMs,
      toMs,
      dryRun,
      source,
      rate,
      retry: { maxRetries, baseDelayMs: 100, maxDelayMs: 5_000 },
      signal: abort.signal,
      onProgress: (r) => {
        if (Date.now() - lastProgress < 2000) return;
        lastProgress = Date.now();
        log(`  ${r.objects} object(s), ${r.records} record(s) read, ${r.delivered} put`);
      },
    });
  } catch (err) {
    const e = err as Error;
    if (e.name === "NoSuchBucket") throw new Error(`${archive.description}: no such bucket`);
    if (/ECONNREFUSED/.test(`${e.message} ${(e as { code?: string }).code}`))
      throw new Error(describeError(err, target));
    throw err;
  } finally {
    process.removeListener("SIGINT", onSignal);
    archive.client.destroy();
    target.client.destroy();
  }
  process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${summary(report, dryRun)}\n`);
  if (abort.signal.aborted) return EXIT.interrupted;
  return report.failed > 0 || report.fatal ? EXIT.failure : EXIT.ok;
});
