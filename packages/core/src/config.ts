import { z } from "zod";

/**
 * Runtime settings a handler reads from its environment. The stacks set them from the stage
 * configuration; the local runtime sets the same variables.
 */
export const ENV = {
  windowSizeMs: "TICKSTREAM_WINDOW_SIZE_MS",
  windowSlideMs: "TICKSTREAM_WINDOW_SLIDE_MS",
  allowedLatenessMs: "TICKSTREAM_ALLOWED_LATENESS_MS",
  idleTimeoutMs: "TICKSTREAM_IDLE_TIMEOUT_MS",
  paneRetentionHours: "TICKSTREAM_PANE_RETENTION_HOURS",
  maxClockSkewMs: "TICKSTREAM_MAX_CLOCK_SKEW_MS",
} as const;

/**
 * How far (ms) a tick's event time may lie ahead of its record's Kinesis arrival time; a tick
 * further ahead is a bad record ("event time in the future", docs/records.md). Five minutes,
 * as Flink users bound timestamps: far above any honest clock drift, far below what would let
 * one producer's wrong clock push the watermark past everyone's windows. Carried with the
 * window settings because both consumers read it, through the same variables.
 */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 300_000;

export const WINDOW_DEFAULTS = {
  windowSizeMs: 60_000,
  windowSlideMs: 10_000,
  allowedLatenessMs: 10_000,
  idleTimeoutMs: 30_000,
  paneRetentionHours: 48,
  maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS,
} as const;

/**
 * Optional: how long the window consumer may go without any activity (a batch or a timer run)
 * before it counts as having been down. Default: `defaultDowntimeThresholdMs` (twice the idle
 * timeout, and at least three periods of the AWS windows timer, so that its cadence never counts
 * as downtime). The local runtime sets it from its own, shorter, timer period.
 */
export const DOWNTIME_THRESHOLD_ENV = "TICKSTREAM_DOWNTIME_THRESHOLD_MS";

/** The AWS windows timer's period (resources.ts WINDOWS_TIMER: rate(1 minute)). */
export const AWS_TIMER_INTERVAL_MS = 60_000;

export function defaultDowntimeThresholdMs(idleTimeoutMs: number, timerIntervalMs = AWS_TIMER_INTERVAL_MS): number {
  return Math.max(2 * idleTimeoutMs, 3 * timerIntervalMs);
}

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();

export const windowConfigSchema = z
  .object({
    windowSizeMs: positiveInt,
    windowSlideMs: positiveInt,
    allowedLatenessMs: nonNegativeInt,
    idleTimeoutMs: positiveInt,
    paneRetentionHours: positiveInt,
    /** See DEFAULT_MAX_CLOCK_SKEW_MS; absent: that default. */
    maxClockSkewMs: nonNegativeInt.optional(),
    /** See DOWNTIME_THRESHOLD_ENV; absent: defaultDowntimeThresholdMs(idleTimeoutMs). */
    downtimeThresholdMs: positiveInt.optional(),
  })
  .refine((c) => c.windowSizeMs % c.windowSlideMs === 0, {
    message: "window size must be a whole number of slides",
  });

export type WindowConfig = z.infer<typeof windowConfigSchema>;

/** Reads the window settings, falling back to the defaults; throws a clear error if invalid. */
export function readWindowConfig(env: Record<string, string | undefined> = process.env): WindowConfig {
  // An empty variable counts as unset, as in readMaxClockSkewMs: zod would coerce "" to 0.
  const raw: Record<string, unknown> = Object.fromEntries(
    (Object.keys(ENV) as (keyof typeof ENV)[]).map((k) => [k, env[ENV[k]] || WINDOW_DEFAULTS[k]]),
  );
  if (env[DOWNTIME_THRESHOLD_ENV]) raw.downtimeThresholdMs = env[DOWNTIME_THRESHOLD_ENV];
  const parsed = windowConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Invalid window configuration: ${parsed.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}

/** A whole number of milliseconds from `env[name]`; undefined when unset or empty. */
function readMs(env: Record<string, string | undefined>, name: string, schema: z.ZodType<number>, hint: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`Invalid ${name}: ${JSON.stringify(raw)} (${hint})`);
  return parsed.data;
}

/** The maximum clock skew from the environment (TICKSTREAM_MAX_CLOCK_SKEW_MS), else the default. */
export function readMaxClockSkewMs(env: Record<string, string | undefined> = process.env): number {
  return readMs(env, ENV.maxClockSkewMs, nonNegativeInt, "a whole number of milliseconds, 0 or more") ?? DEFAULT_MAX_CLOCK_SKEW_MS;
}

/**
 * Optional: how long (ms) the API's view of the latest prices goes without reading the Latest
 * snapshot again (latest/tail-reader.ts; absent: its default, a minute). It bounds how long
 * anything the log tail could miss, or a table emptied for a replay, stays visible. The local
 * runtime sets it shorter for tests that empty tables under a warm API.
 */
export const LATEST_VIEW_REFRESH_ENV = "TICKSTREAM_LATEST_VIEW_REFRESH_MS";

/** The view's refresh interval from the environment, or undefined for the reader's default. */
export function readLatestViewRefreshMs(env: Record<string, string | undefined> = process.env): number | undefined {
  return readMs(env, LATEST_VIEW_REFRESH_ENV, positiveInt, "a whole number of milliseconds above 0");
}
