/**
 * Every per-stage setting of the deployed app, in one place.
 *
 * Stages: `prod`, `staging`, `pr-<n>` previews, and anything else (personal and dev stages),
 * which gets the dev defaults. Only `prod` keeps its data when the stage is removed.
 *
 * A few settings that differ per AWS account rather than per stage come from the environment
 * at deploy time (documented in docs/deploying.md):
 *   TICKSTREAM_SITE_DOMAIN   custom domain of the dashboard, e.g. app.example.com
 *   TICKSTREAM_HOSTED_ZONE   Route 53 hosted zone of that domain (default: its parent domain)
 *   TICKSTREAM_ALARM_EMAIL   address subscribed to the alarm topic
 */
import { RemovalPolicy } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { ENV, WINDOW_DEFAULTS, type WindowConfig } from "@tickstream/core/config";

export type StageKind = "prod" | "staging" | "preview" | "dev";

/** Kinesis capacity: on-demand, or a fixed number of shards per stream. */
export type ShardMode =
  { mode: "on-demand" } | { mode: "provisioned"; pricesShards: number; windowsShards: number };

export type LogRetention =
  "one_week" | "two_weeks" | "one_month" | "three_months" | "six_months" | "one_year";

export interface StorageClassTransition {
  storageClass: "STANDARD_IA" | "GLACIER_IR" | "GLACIER" | "DEEP_ARCHIVE";
  afterDays: number;
}

export interface StageConfig {
  stage: string;
  kind: StageKind;
  /** True only for prod: data outlives `sst remove`. */
  retainData: boolean;
  /** Removal policy of every data resource (tables, streams, bucket, queues, user pool). */
  removalPolicy: "retain" | "destroy";
  /** DynamoDB point-in-time recovery. */
  pointInTimeRecovery: boolean;
  /** DynamoDB and Cognito deletion protection (blocks deleting them by any means). */
  deletionProtection: boolean;
  logRetention: LogRetention;
  /** POWERTOOLS_LOG_LEVEL of every function. */
  logLevel: "DEBUG" | "INFO" | "WARN" | "ERROR";
  streams: ShardMode & { retentionHours: number };
  /** Window settings handed to the handlers as TICKSTREAM_* variables. */
  windows: WindowConfig;
  archive: {
    /** Storage-class transitions of `raw/` objects (empty: stay in S3 Standard). */
    rawTransitions: StorageClassTransition[];
    /** Days after which `raw/` objects expire (undefined: kept forever). */
    rawExpireDays?: number;
    /** Days after which `dead-letters/`, `failed-batches/` and `errors/` objects expire. */
    rejectsExpireDays: number;
  };
  alarms: {
    /** Consumer IteratorAge (maximum, ms) that raises an alarm. */
    iteratorAgeMs: number;
    /** Function errors per 5 minutes that raise an alarm. */
    functionErrors: number;
    /** Messages waiting in an on-failure queue that raise an alarm. */
    failedBatches: number;
    /** Firehose DataFreshness (maximum, seconds) that raises an alarm. */
    archiveFreshnessSeconds: number;
    /** Address subscribed to the alarm topic, if any. */
    email?: string;
  };
  auth: {
    selfSignUp: boolean;
    /**
     * Cognito threat protection (compromised credentials, adaptive authentication) in
     * enforcing mode. It needs the Plus feature plan, billed per monthly active user.
     */
    threatProtection: boolean;
  };
  /**
   * Access logs of the archive bucket (S3 server access logs) and of the dashboard's
   * CloudFront distribution, kept in one log bucket for `expireDays`. Off: no log bucket.
   */
  accessLogs?: { expireDays: number };
  api: {
    throttle: { rate: number; burst: number };
    /**
     * Origins the API allows besides the dashboard's own (which is added once the site
     * exists, see stacks/WebStack.ts). Local development servers on non-production stages.
     */
    extraCorsOrigins: string[];
  };
  web: {
    /** Custom domain of the dashboard; the API then allows exactly this origin. */
    domain?: { name: string; hostedZone: string };
  };
}

export const LOCAL_ORIGINS = ["http://localhost:3000", "http://127.0.0.1:3000"];

export function stageKind(stage: string): StageKind {
  if (stage === "prod") return "prod";
  if (stage === "staging") return "staging";
  if (/^pr-[a-z0-9-]+$/.test(stage)) return "preview";
  return "dev";
}

function domainFromEnv(env: Record<string, string | undefined>): StageConfig["web"]["domain"] {
  const name = env.TICKSTREAM_SITE_DOMAIN?.trim();
  if (!name) return undefined;
  const hostedZone = env.TICKSTREAM_HOSTED_ZONE?.trim() || name.split(".").slice(1).join(".");
  return { name, hostedZone };
}

/** The settings of one stage. `env` supplies the account-specific overrides listed above. */
export function stageConfig(
  stage: string,
  env: Record<string, string | undefined> = process.env,
): StageConfig {
  const kind = stageKind(stage);
  const prod = kind === "prod";
  const shared = {
    stage,
    kind,
    windows: { ...WINDOW_DEFAULTS },
    alarms: {
      iteratorAgeMs: 60_000,
      functionErrors: 1,
      failedBatches: 1,
      archiveFreshnessSeconds: 900,
      email: env.TICKSTREAM_ALARM_EMAIL?.trim() || undefined,
    },
  };

  if (prod) {
    return {
      ...shared,
      retainData: true,
      removalPolicy: "retain",
      pointInTimeRecovery: true,
      deletionProtection: true,
      logRetention: "three_months",
      logLevel: "INFO",
      streams: { mode: "on-demand", retentionHours: 24 },
      windows: { ...WINDOW_DEFAULTS, paneRetentionHours: 7 * 24 },
      archive: {
        rawTransitions: [
          { storageClass: "STANDARD_IA", afterDays: 30 },
          { storageClass: "GLACIER", afterDays: 90 },
        ],
        rawExpireDays: undefined,
        rejectsExpireDays: 180,
      },
      alarms: { ...shared.alarms, iteratorAgeMs: 30_000 },
      auth: { selfSignUp: false, threatProtection: true },
      accessLogs: { expireDays: 365 },
      api: { throttle: { rate: 200, burst: 400 }, extraCorsOrigins: [] },
      web: { domain: domainFromEnv(env) },
    };
  }

  const nonProd = {
    ...shared,
    retainData: false,
    removalPolicy: "destroy" as const,
    pointInTimeRecovery: false,
    deletionProtection: false,
    archive: { rawTransitions: [], rawExpireDays: 14, rejectsExpireDays: 14 },
    api: { throttle: { rate: 50, burst: 100 }, extraCorsOrigins: LOCAL_ORIGINS },
  };

  if (kind === "staging") {
    return {
      ...nonProd,
      logRetention: "one_month",
      logLevel: "INFO",
      streams: { mode: "on-demand", retentionHours: 24 },
      archive: { rawTransitions: [], rawExpireDays: 30, rejectsExpireDays: 30 },
      auth: { selfSignUp: false, threatProtection: false },
      api: { ...nonProd.api, throttle: { rate: 100, burst: 200 } },
      web: { domain: domainFromEnv(env) },
    };
  }

  if (kind === "preview") {
    // Previews are many and short-lived: one provisioned shard per stream is the cheapest
    // Kinesis capacity (a shard-hour costs less than an on-demand stream-hour).
    return {
      ...nonProd,
      logRetention: "one_week",
      logLevel: "DEBUG",
      streams: { mode: "provisioned", pricesShards: 1, windowsShards: 1, retentionHours: 24 },
      alarms: { ...shared.alarms, iteratorAgeMs: 300_000, functionErrors: 5 },
      auth: { selfSignUp: true, threatProtection: false },
      web: {},
    };
  }

  return {
    ...nonProd,
    logRetention: "one_week",
    logLevel: "DEBUG",
    streams: { mode: "on-demand", retentionHours: 24 },
    alarms: { ...shared.alarms, iteratorAgeMs: 300_000, functionErrors: 5 },
    auth: { selfSignUp: true, threatProtection: false },
    web: {},
  };
}

/** The TICKSTREAM_* variables the stream handlers read (packages/core/src/config.ts). */
export function windowEnvironment(cfg: StageConfig): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(ENV) as (keyof typeof ENV)[]).map((k) => [ENV[k], String(cfg.windows[k])]),
  );
}

export function removalPolicyOf(cfg: StageConfig): RemovalPolicy {
  return cfg.removalPolicy === "retain" ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

export function logRetentionOf(cfg: StageConfig): RetentionDays {
  const days = {
    one_week: RetentionDays.ONE_WEEK,
    two_weeks: RetentionDays.TWO_WEEKS,
    one_month: RetentionDays.ONE_MONTH,
    three_months: RetentionDays.THREE_MONTHS,
    six_months: RetentionDays.SIX_MONTHS,
    one_year: RetentionDays.ONE_YEAR,
  } satisfies Record<LogRetention, RetentionDays>;
  return days[cfg.logRetention];
}
