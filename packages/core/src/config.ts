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
} as const;

export const WINDOW_DEFAULTS = {
  windowSizeMs: 60_000,
  windowSlideMs: 10_000,
  allowedLatenessMs: 10_000,
  idleTimeoutMs: 30_000,
  paneRetentionHours: 48,
} as const;

const positiveInt = z.coerce.number().int().positive();

export const windowConfigSchema = z
  .object({
    windowSizeMs: positiveInt,
    windowSlideMs: positiveInt,
    allowedLatenessMs: z.coerce.number().int().nonnegative(),
    idleTimeoutMs: positiveInt,
    paneRetentionHours: positiveInt,
  })
  .refine((c) => c.windowSizeMs % c.windowSlideMs === 0, {
    message: "window size must be a whole number of slides",
  });

export type WindowConfig = z.infer<typeof windowConfigSchema>;

/** Reads the window settings, falling back to the defaults; throws a clear error if invalid. */
export function readWindowConfig(env: Record<string, string | undefined> = process.env): WindowConfig {
  const raw = Object.fromEntries(
    (Object.keys(ENV) as (keyof typeof ENV)[]).map((k) => [k, env[ENV[k]] ?? WINDOW_DEFAULTS[k]]),
  );
  const parsed = windowConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Invalid window configuration: ${parsed.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}
