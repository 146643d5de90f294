/**
 * `npm run consume -- [flags]`: read the sliding-window maxima from the `windows` output stream
 * (every shard, following splits and merges) and print them as a table or JSON lines; locally
 * or in AWS. See docs/tools.md.
 */
import type { ReadRecord, StartPosition } from "../consumer/reader.js";
import {
  defineCommand,
  EXIT,
  parseDuration,
  parseIntFlag,
  parseList,
  parseTimestamp,
  runCli,
  TARGET_FLAGS,
  UsageError,
} from "./args.js";

const command = defineCommand({
  name: "npm run consume --",
  summary:
    "Read the sliding-window maxima from the `windows` stream (JSON records {instrument, windowStart, windowEnd, max}) " +
    "of the local runtime (from .local/outputs.json) by default, or of a deployed stage, and print them as they " +
    "arrive. Reads every shard and follows resharding. Stops at --count results, after --timeout, or on Ctrl-C.",
  flags: {
    from: {
      type: "string",
      value: "WHERE",
      description:
        "latest (new results only), trim-horizon (everything retained), or a time: ISO-8601 or epoch ms (arrival time)",
      defaultText: "latest",
    },
    json: {
      type: "boolean",
      short: "j",
      description: "print JSON lines (the results as emitted) instead of a table",
    },
    raw: {
      type: "boolean",
      description:
        "print every record's data as is, one per line, without parsing (works on any stream)",
    },
    instrument: {
      type: "string",
      short: "i",
      value: "ID[,ID…]",
      description: "only these instruments",
    },
    count: { type: "string", short: "n", value: "N", description: "stop after N results" },
    timeout: {
      type: "string",
      value: "TIME",
      description: "stop after this long: 500ms, 30s, 2m; exit status 1 if --count was not reached",
    },
    "keep-duplicates": {
      type: "boolean",
      description: "also print repeats of a window already printed (dropped by default)",
    },
    "poll-interval": {
      type: "string",
      value: "TIME",
      description: "wait between reads of a caught-up shard",
      defaultText: "500ms",
    },
    verbose: {
      type: "boolean",
      short: "v",
      description: "log shard starts, ends and retries on stderr",
    },
    ...TARGET_FLAGS,
  },
  notes: [
    "Results go to stdout, messages to stderr. Exit status: 0 on --count, Ctrl-C, SIGTERM or --timeout without --count; " +
      "1 on --timeout before --count results, or an error; 2 for a bad command line.",
  ],
  examples: [
    ["npm run consume --", "follow new window results of the local runtime"],
    [
      "npm run consume -- --from trim-horizon --instrument 3",
      "every retained result of instrument 3",
    ],
    [
      "npm run consume -- --from 2026-11-22T10:00:00Z --json --count 10",
      "ten results as JSON lines, from a point in time",
    ],
    ["npm run consume -- --count 5 --timeout 2m", "wait for five results, fail after two minutes"],
    ["npm run consume -- --stage prod --region eu-west-1", "a deployed stage's windows stream"],
    [
      "npm run consume -- --stream tickstream-prices --outputs .local/outputs.json --raw --from trim-horizon",
      "raw records of another stream",
    ],
  ],
});

runCli(command, async () => {
  const flags = command.parse();
  const from = parseFrom(flags.from ?? "latest");
  const count =
    flags.count !== undefined ? parseIntFlag("count", flags.count, { min: 1 }) : undefined;
  const timeoutMs =
    flags.timeout !== undefined ? parseDuration("timeout", flags.timeout) : undefined;
  const pollIntervalMs =
    flags["poll-interval"] !== undefined
      ? parseDuration("poll-interval", flags["poll-interval"])
      : 500;
  const instruments = flags.instrument !== undefined ? parseList(flags.instrument) : undefined;
  if (flags.raw && (flags.json || instruments))
    throw new UsageError("--raw prints records as they are: it takes no --json or --instrument");
  if (instruments && instruments.length === 0)
    throw new UsageError("--instrument needs at least one id");

  // Loaded once the command line is known to be good: --help and usage errors stay quick.
  const [
    { readStream },
    { jsonLine, parseWindowResult, ResultFilter, tableHeader, tableRow },
    { checkStream, describeError, resolveTarget },
  ] = await Promise.all([
    import("../consumer/reader.js"),
    import("../consumer/windows.js"),
    import("../target.js"),
  ]);
  const target = resolveTarget(flags, "windows");
  const stop = new AbortController();
  let reason: "count" | "timeout" | "signal" | undefined;
  const finish = (why: typeof reason) => {
    reason ??= why;
    stop.abort();
  };
  const onSignal = () => finish("signal");
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") finish("signal");
  });
  const timer =
    timeoutMs !== undefined ? setTimeout(() => finish("timeout"), timeoutMs) : undefined;

  await checkStream(target, stop.signal).catch((err: Error) => {
    if (!stop.signal.aborted) throw err;
  });
  if (process.stderr.isTTY) {
    process.stderr.write(
      `reading ${target.description} from ${flags.from ?? "latest"}; Ctrl-C to stop\n`,
    );
  }

  const filter = new ResultFilter({ instruments, dedupe: !flags["keep-duplicates"] });
  const decoder = new TextDecoder();
  let printed = 0;
  let skipped = 0;
  let headerDone = false;
  const emit = (line: string) => {
    process.stdout.write(`${line}\n`);
    printed++;
    if (count !== undefined && printed >= count) finish("count");
  };
  const onRecords = (records: ReadRecord[]) => {
    for (const record of records) {
      if (stop.signal.aborted) return;
      if (flags.raw) {
        emit(decoder.decode(record.data).replace(/\r?\n$/, ""));
        continue;
      }
      const result = parseWindowResult(record.data);
      if (result instanceof Error) {
        skipped++;
        process.stderr.write(
          `warning: skipping record ${record.sequenceNumber} of ${record.shardId}: ${result.message}\n`,
        );
        continue;
      }
      if (!filter.accept(result)) continue;
      if (!flags.json && !headerDone) {
        process.stdout.write(`${tableHeader()}\n`);
        headerDone = true;
      }
      emit(flags.json ? jsonLine(result) : tableRow(result));
    }
  };

  try {
    await readStream({
      client: target.client,
      streamName: target.streamName,
      from,
      signal: stop.signal,
      onRecords,
      pollIntervalMs,
      onEvent: flags.verbose
        ? (e) =>
            process.stderr.write(
              e.type === "shard-start"
                ? `shard ${e.shardId}: reading from ${e.position}\n`
                : e.type === "shard-end"
                  ? `shard ${e.shardId}: closed, read to the end\n`
                  : `shard ${e.shardId}: ${e.error}; retrying in ${Math.round(e.delayMs)} ms\n`,
            )
        : undefined,
    });
  } catch (err) {
    throw new Error(describeError(err, target));
  } finally {
    clearTimeout(timer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    target.client.destroy();
  }

  if (process.stderr.isTTY || (reason === "timeout" && count !== undefined)) {
    const what = flags.raw ? "records" : "results";
    process.stderr.write(
      `${printed} ${what}${skipped ? `, ${skipped} unreadable records skipped` : ""}\n`,
    );
  }
  if (reason === "timeout" && count !== undefined && printed < count) {
    process.stderr.write(
      `error: timed out after ${flags.timeout} with ${printed} of ${count} results\n`,
    );
    return EXIT.failure;
  }
  return EXIT.ok;
});

function parseFrom(value: string): StartPosition {
  const v = value.trim().toLowerCase();
  if (v === "latest") return { type: "LATEST" };
  if (v === "trim-horizon" || v === "trim_horizon" || v === "earliest" || v === "oldest")
    return { type: "TRIM_HORIZON" };
  try {
    return { type: "AT_TIMESTAMP", timestamp: parseTimestamp("from", value) };
  } catch {
    throw new UsageError(
      `--from must be latest, trim-horizon, an ISO-8601 time or epoch milliseconds, got '${value}'`,
    );
  }
}
