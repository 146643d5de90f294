import { randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { resolve } from "node:path";
import {
  API,
  ARCHIVE_BUFFERING,
  BUCKETS,
  CONSUMERS,
  FUNCTIONS,
  STREAMS,
  TABLES,
  WINDOWS_TIMER,
  bindingEnv,
  type ConsumerSpec,
  type FunctionKey,
} from "@tickstream/core/resources";
import {
  DEFAULT_MAX_CLOCK_SKEW_MS,
  DOWNTIME_THRESHOLD_ENV,
  ENV as WINDOW_ENV,
  LATEST_VIEW_REFRESH_ENV,
  readWindowConfig,
  type WindowConfig,
} from "@tickstream/core/config";
import type { TableKey } from "@tickstream/testkit/provision";
import type { LocalServer } from "@tickstream/testkit/local-aws";
import { createJwtAuthorizer } from "./api-host/auth.js";
import { ApiHost } from "./api-host/server.js";
import { ArchiveDelivery } from "./archive/delivery.js";
import { LOCAL_CREDENTIALS, destroyClients, localClients, type LocalClients } from "./clients.js";
import { TickGenerator, type GeneratorOptions } from "./generator/ticks.js";
import {
  assertBindings,
  loadHandler,
  localFunctionSettings,
  type LambdaHandler,
  type LocalFunction,
} from "./lambda.js";
import { acquireLock } from "./lock.js";
import { writeOutputs, type LocalOutputs } from "./outputs.js";
import { DEFAULT_DATA_DIR, dataLayout } from "./paths.js";
import { CheckpointStore } from "./poller/checkpoint.js";
import { s3FailureDestination } from "./poller/destination.js";
import {
  EventSourceMapping,
  settingsFromSpec,
  type MappingSettings,
  type ShardStatus,
} from "./poller/mapping.js";
import { ShardReadCache } from "./poller/read-cache.js";
import { Schedule } from "./poller/schedule.js";
import { resolvePorts, type PortMap, type PortName } from "./ports.js";
import { settleEmitClaims } from "./settle-claims.js";
import { provisionLocal } from "./provision.js";
import { startCognitoServer, type CognitoServer } from "./servers/cognito.js";
import { startDynamoServer } from "./servers/dynamodb.js";
import { startKinesisServer } from "./servers/kinesis.js";
import { startS3Server } from "./servers/s3.js";
import { answersHttp } from "./servers/child.js";
import { silentLog, type Log } from "./timing.js";
import { prepareProductionBuild, startWeb, type WebMode, type WebServer } from "./web.js";

/**
 * The whole product on one machine: local Kinesis, DynamoDB, S3 and Cognito servers, the
 * resources of the shared description, the consumers behind a local event-source poller, the
 * windows timer, the archive delivery, the API with real JWT checks, a tick generator and the
 * dashboard. `npm start` and every test, tool and benchmark that needs the back end use this.
 */

export type { FunctionKey };

export interface StartLocalOptions {
  /** Everything persists under it. Default `<repo>/.local`. */
  dataDir?: string;
  /** "auto" = free ports; otherwise the given ports, defaults for the rest (ports.ts). */
  ports?: "auto" | Partial<PortMap>;
  /** Run the dashboard. Default true. */
  web?: boolean;
  /**
   * How: "production" (default) builds it when its sources changed and runs `next start`;
   * "dev" runs `next dev` (hot reload, each page compiled on its first request).
   */
  webMode?: WebMode;
  /** Run the tick generator; an object tunes it. Default true. */
  generator?: boolean | GeneratorOptions;
  /** No progress lines, no warnings on the console. */
  quiet?: boolean;
  region?: string;
  window?: {
    sizeMs?: number;
    slideMs?: number;
    allowedLatenessMs?: number;
    idleTimeoutMs?: number;
    paneRetentionHours?: number;
    /** Event times further ahead of arrival are bad records (default 5 minutes). */
    maxClockSkewMs?: number;
    /** Longer than this without any consumer or timer run counts as a stop (default below). */
    downtimeThresholdMs?: number;
  };
  /** Archive buffering (default ARCHIVE_BUFFERING of the description: 5 MiB / 60 s). */
  archive?: { bufferSizeBytes?: number; bufferIntervalMs?: number };
  /** Poller tuning over the CONSUMERS settings (tests shorten the batching window and retry delays). */
  poller?: Partial<
    Pick<
      MappingSettings,
      "batchSize" | "batchingWindowMs" | "idlePollMs" | "retryAttempts" | "maxRecordAgeMs"
    >
  > & {
    retryBaseDelayMs?: number;
  };
  /** Windows timer period. Default WINDOWS_TIMER.localIntervalMs. */
  timerIntervalMs?: number;
  /** Replace a function by another module ("path/file.export") or an in-process function. */
  handlers?: Partial<Record<FunctionKey, string | LambdaHandler>>;
  /** POWERTOOLS_LOG_LEVEL for the functions. Default "WARN" ("ERROR" when quiet). */
  functionLogLevel?: string;
  /** How often the API's view of the latest prices reads the snapshot again, ms (default: the reader's, a minute). */
  latestViewRefreshMs?: number;
  /** Let Powertools Metrics print its EMF lines. Default false. */
  metrics?: boolean;
  /** Shards of the prices stream when it is first created. */
  pricesShards?: number;
  /** Password for the demo user (default: generated once per data directory). */
  demoPassword?: string;
  /** Progress lines while starting; default console.log unless quiet. */
  onProgress?: (message: string) => void;
  /** Warnings and errors while running; default console unless quiet. */
  log?: Log;
}

export interface RuntimeStatus {
  consumers: Record<string, ShardStatus[]>;
  timer: { invocations: number; errors: number };
  archive: ReturnType<ArchiveDelivery["status"]>;
  generator: { sent: number } | null;
  api: { listening: boolean };
}

export interface LocalRuntime {
  outputs: LocalOutputs;
  /** The environment the functions run with (also applied to process.env). */
  env: Record<string, string>;
  /** Stops every part and process it started; safe to call twice. */
  stop(): Promise<void>;
  /** Every consumer has dealt with everything put to the prices stream before the call. */
  waitForConsumers(options?: { timeoutMs?: number }): Promise<void>;
  /** The archive has read everything put before the call and written it out. */
  flushArchive(options?: { timeoutMs?: number }): Promise<void>;
  /** Stops / restarts the API on the same port (for the dashboard's error states). */
  stopApi(): Promise<void>;
  startApi(): Promise<void>;
  status(): RuntimeStatus;
}

/** Handler modules read their bindings once, at import; remember what they were loaded with. */
let loadedFor: string | undefined;
let active = false;

function consoleLog(): Log {
  return {
    info: (m) => console.log(m),
    warn: (m) => console.warn(`warn: ${m}`),
    error: (m) => console.error(`error: ${m}`),
  };
}

/** Downtime threshold of the windows consumer locally: three timer periods, 5 s at least. */
export function localDowntimeThresholdMs(timerIntervalMs: number): number {
  return Math.max(5_000, 3 * timerIntervalMs);
}

function windowConfig(options: StartLocalOptions["window"] = {}): WindowConfig {
  const env: Record<string, string | undefined> = { ...process.env };
  const set = (key: keyof typeof WINDOW_ENV, value: number | undefined) => {
    if (value !== undefined) env[WINDOW_ENV[key]] = String(value);
  };
  set("windowSizeMs", options.sizeMs);
  set("windowSlideMs", options.slideMs);
  set("allowedLatenessMs", options.allowedLatenessMs);
  set("idleTimeoutMs", options.idleTimeoutMs);
  set("paneRetentionHours", options.paneRetentionHours);
  set("maxClockSkewMs", options.maxClockSkewMs);
  if (options.downtimeThresholdMs !== undefined)
    env[DOWNTIME_THRESHOLD_ENV] = String(options.downtimeThresholdMs);
  return readWindowConfig(env);
}

export async function startLocal(options: StartLocalOptions = {}): Promise<LocalRuntime> {
  if (active) throw new Error("A local runtime is already running in this process; stop it first.");
  active = true;
  const life = { stopping: false };
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    life.stopping = true;
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch {
        // keep going: everything else must still stop
      }
    }
    active = false;
  };
  try {
    return await start(options, life, cleanups, cleanup);
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function start(
  options: StartLocalOptions,
  life: { stopping: boolean },
  cleanups: (() => Promise<void>)[],
  cleanup: () => Promise<void>,
): Promise<LocalRuntime> {
  const quiet = options.quiet ?? false;
  const log = options.log ?? (quiet ? silentLog : consoleLog());
  const progress = options.onProgress ?? (quiet ? () => undefined : (m: string) => console.log(m));
  const region = options.region ?? "us-east-1";
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const layout = dataLayout(dataDir);
  const webEnabled = options.web ?? true;
  const window = windowConfig(options.window);

  await mkdir(dataDir, { recursive: true });
  const lock = await acquireLock(dataDir, randomUUID());
  cleanups.push(lock.release);
  // outputs.json means "running": a stale one from a crashed run must not mislead anyone.
  await rm(layout.outputs, { force: true });
  cleanups.push(() => rm(layout.outputs, { force: true }));

  const needed: PortName[] = [
    "kinesis",
    "dynamodb",
    "s3",
    "cognito",
    "api",
    ...(webEnabled ? (["web"] as const) : []),
  ];
  const ports = await resolvePorts(options.ports, needed);
  // The dashboard's production build needs none of the servers: it runs while they start.
  const webMode = options.webMode ?? "production";
  const webBuild =
    webEnabled && webMode === "production"
      ? prepareProductionBuild({ logDir: layout.logs, progress })
      : undefined;
  webBuild?.catch(() => undefined); // its failure is reported where the dashboard starts

  // Local AWS servers.
  progress(
    `Starting local AWS servers (Kinesis :${ports.kinesis}, DynamoDB :${ports.dynamodb}, S3 :${ports.s3}, Cognito :${ports.cognito})…`,
  );
  const started = await Promise.allSettled([
    startKinesisServer({ path: layout.kinesis, port: ports.kinesis }),
    startDynamoServer({ path: layout.dynamodb, port: ports.dynamodb }),
    startS3Server({ path: layout.s3, port: ports.s3 }),
    startCognitoServer({ path: layout.cognito, port: ports.cognito, logDir: layout.logs }),
  ]);
  for (const s of started) if (s.status === "fulfilled") cleanups.push(() => s.value.close());
  const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  const [kinesisServer, dynamoServer, s3Server, cognitoServer] = started.map(
    (s) => (s as PromiseFulfilledResult<LocalServer | CognitoServer>).value,
  ) as [LocalServer, LocalServer, LocalServer, CognitoServer];

  const endpoints = {
    region,
    kinesisEndpoint: kinesisServer.endpoint,
    dynamodbEndpoint: dynamoServer.endpoint,
    s3Endpoint: s3Server.endpoint,
    cognitoEndpoint: cognitoServer.endpoint,
  };
  const clients: LocalClients = localClients(endpoints);
  cleanups.push(async () => destroyClients(clients));
  cognitoServer.child.exited.then(({ code, signal }) => {
    if (!life.stopping)
      log.error(`cognito-local exited (${code ?? signal}); see ${cognitoServer.child.logFile}`);
  });

  // Resources.
  progress("Creating streams, tables, the archive bucket and the user pool…");
  const res = await provisionLocal(clients, layout.state, {
    pricesShards: options.pricesShards,
    demoPassword: options.demoPassword,
  });
  if (lock.previous) {
    // The last run was killed: finish what it left half done before any function runs.
    const settled = await settleEmitClaims({
      dynamodb: clients.dynamodb,
      kinesis: clients.kinesis,
      stateTable: res.tableNames.state,
      windowsTable: res.tableNames.windows,
      windowsStream: res.windowsStream,
    });
    progress(
      `The last run (pid ${lock.previous.pid}) did not stop cleanly: ` +
        `${lock.reaped.length} process(es) it left running stopped, ` +
        `${settled.marked + settled.released} window emission(s) it had begun settled.`,
    );
    if (settled.unknown > 0)
      log.warn(
        `${settled.unknown} window emission claim(s) of the last run are of a layout this runtime ` +
          "cannot settle; their windows are emitted when the claims expire (a minute).",
      );
  }

  // The functions' environment: what SST binds and sets in AWS, pointed at the local servers.
  const env: Record<string, string> = {
    SST_APP: "tickstream",
    SST_STAGE: "local",
    SST_REGION: region,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesisEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodbEndpoint,
    AWS_ENDPOINT_URL_S3: endpoints.s3Endpoint,
    [bindingEnv(STREAMS.prices)]: res.pricesStream,
    [bindingEnv(STREAMS.windows)]: res.windowsStream,
    [bindingEnv(BUCKETS.archive)]: res.archiveBucket,
    [WINDOW_ENV.windowSizeMs]: String(window.windowSizeMs),
    [WINDOW_ENV.windowSlideMs]: String(window.windowSlideMs),
    [WINDOW_ENV.allowedLatenessMs]: String(window.allowedLatenessMs),
    [WINDOW_ENV.idleTimeoutMs]: String(window.idleTimeoutMs),
    [WINDOW_ENV.paneRetentionHours]: String(window.paneRetentionHours),
    [WINDOW_ENV.maxClockSkewMs]: String(window.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS),
    // The local timer runs every second, not every minute: a few seconds without any activity
    // mean the runtime was stopped (5 s at least, for a busy machine).
    [DOWNTIME_THRESHOLD_ENV]: String(
      window.downtimeThresholdMs ??
        localDowntimeThresholdMs(options.timerIntervalMs ?? WINDOWS_TIMER.localIntervalMs),
    ),
    ...(options.latestViewRefreshMs !== undefined && {
      [LATEST_VIEW_REFRESH_ENV]: String(options.latestViewRefreshMs),
    }),
    POWERTOOLS_SERVICE_NAME: "tickstream",
    POWERTOOLS_METRICS_NAMESPACE: "Tickstream",
    POWERTOOLS_LOG_LEVEL: options.functionLogLevel ?? (quiet ? "ERROR" : "WARN"),
    POWERTOOLS_METRICS_DISABLED: options.metrics ? "false" : "true",
  };
  for (const key of Object.keys(res.tableNames) as TableKey[])
    env[bindingEnv(TABLES[key])] = res.tableNames[key];
  assertBindings(env);
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  Object.assign(process.env, env);

  progress("Loading the functions…");
  const fingerprint = JSON.stringify(env);
  const keys = Object.keys(FUNCTIONS) as FunctionKey[];
  const usesModules = keys.some((k) => typeof options.handlers?.[k] !== "function");
  if (usesModules && loadedFor && loadedFor !== fingerprint) {
    throw new Error(
      "The function modules were already loaded in this process for a runtime with other settings " +
        "(they read their bindings once, at import). Restart on the same ports and settings, or use a new process.",
    );
  }
  const fns = {} as Record<FunctionKey, LocalFunction>;
  for (const key of keys) {
    const spec = FUNCTIONS[key];
    const override = options.handlers?.[key];
    const handler =
      typeof override === "function" ? override : await loadHandler(override ?? spec.handler);
    fns[key] = { ...localFunctionSettings(spec), handler };
  }
  if (usesModules) loadedFor = fingerprint;

  // Consumers behind the event-source poller, the windows timer, the archive delivery.
  progress("Starting the consumers, the windows timer and the archive delivery…");
  const pollerOverrides: Partial<MappingSettings> = {
    ...(options.poller?.batchSize !== undefined ? { batchSize: options.poller.batchSize } : {}),
    ...(options.poller?.batchingWindowMs !== undefined
      ? { batchingWindowMs: options.poller.batchingWindowMs }
      : {}),
    ...(options.poller?.idlePollMs !== undefined ? { idlePollMs: options.poller.idlePollMs } : {}),
    ...(options.poller?.retryAttempts !== undefined
      ? { retryAttempts: options.poller.retryAttempts }
      : {}),
    ...(options.poller?.maxRecordAgeMs !== undefined
      ? { maxRecordAgeMs: options.poller.maxRecordAgeMs }
      : {}),
  };
  const retryBase = options.poller?.retryBaseDelayMs;
  if (retryBase !== undefined)
    pollerOverrides.retryDelayMs = (n) => Math.min(retryBase * 2 ** (n - 1), 5000);

  // Both consumers and the archive read every record of the prices stream: fetched once.
  const readCache = new ShardReadCache();
  const mappings: EventSourceMapping[] = [];
  const consumers: [FunctionKey, ConsumerSpec][] = [
    ["latest", CONSUMERS.latest],
    ["windows", CONSUMERS.windows],
  ];
  for (const [key, spec] of consumers) {
    const fn = fns[key];
    const mapping = new EventSourceMapping({
      kinesis: clients.kinesis,
      region,
      streamName: res.pricesStream,
      fn,
      settings: settingsFromSpec(spec, pollerOverrides),
      checkpoints: new CheckpointStore(layout.checkpoints, spec.id, res.pricesStream),
      onFailure: s3FailureDestination(clients.s3, res.archiveBucket, fn.functionName),
      log,
      cache: readCache,
    });
    await mapping.start();
    mappings.push(mapping);
    cleanups.push(() => mapping.stop());
  }

  const archive = new ArchiveDelivery({
    kinesis: clients.kinesis,
    s3: clients.s3,
    streamName: res.pricesStream,
    bucket: res.archiveBucket,
    deliveryStreamName: `${res.pricesStream}-archive`,
    checkpoints: new CheckpointStore(layout.checkpoints, "ArchiveDelivery", res.pricesStream),
    bufferSizeBytes: options.archive?.bufferSizeBytes ?? ARCHIVE_BUFFERING.sizeMiB * 1024 * 1024,
    bufferIntervalMs: options.archive?.bufferIntervalMs ?? ARCHIVE_BUFFERING.intervalSeconds * 1000,
    idlePollMs: options.poller?.idlePollMs,
    log,
    cache: readCache,
  });
  await archive.start();
  // Cleanups run in reverse: the archive stops (and flushes what it holds) before the servers.
  cleanups.push(() => archive.stop());

  const timer = new Schedule(
    fns.windowsTimer,
    options.timerIntervalMs ?? WINDOWS_TIMER.localIntervalMs,
    region,
    log,
  );
  timer.start();
  cleanups.push(() => timer.stop());

  // The API.
  const apiHost = new ApiHost({
    port: ports.api,
    region,
    routes: API.routes,
    publicRoutes: API.publicRoutes,
    fn: fns.api,
    authorize: createJwtAuthorizer({
      issuer: `${endpoints.cognitoEndpoint}/${res.userPoolId}`,
      audience: [res.userPoolClientId],
    }),
    cors: {
      allowOrigins: webEnabled
        ? [`http://127.0.0.1:${ports.web}`, `http://localhost:${ports.web}`]
        : "*",
      allowHeaders: ["authorization", "content-type"],
      allowMethods: ["GET", "OPTIONS"],
      maxAgeSeconds: 600,
    },
    log,
  });
  progress(`Starting the API on :${ports.api}…`);
  await apiHost.start();
  cleanups.push(() => apiHost.stop());
  const apiUrl = apiHost.url;
  if (!(await answersHttp(`${apiUrl}/health`)))
    throw new Error(`The API does not answer at ${apiUrl}/health`);

  // The tick generator.
  let generator: TickGenerator | undefined;
  if (options.generator ?? true) {
    generator = new TickGenerator(
      clients.kinesis,
      res.pricesStream,
      log,
      typeof options.generator === "object" ? options.generator : {},
    );
    generator.start();
    cleanups.push(() => generator!.stop());
    progress("Tick generator running.");
  }

  // The dashboard.
  let web: WebServer | undefined;
  if (webEnabled) {
    progress(
      webMode === "dev"
        ? `Starting the dashboard (next dev) on :${ports.web}; the first start compiles it and can take a minute…`
        : `Starting the dashboard on :${ports.web}…`,
    );
    web = await startWeb({
      port: ports.web,
      logDir: layout.logs,
      mode: webMode,
      dataDir,
      building: webBuild,
      progress,
      settings: {
        apiUrl,
        region,
        userPoolId: res.userPoolId,
        userPoolClientId: res.userPoolClientId,
        cognitoEndpoint: endpoints.cognitoEndpoint,
        windowSizeMs: window.windowSizeMs,
        windowSlideMs: window.windowSlideMs,
      },
    });
    cleanups.push(() => web!.close());
    web.child.exited.then(({ code, signal }) => {
      if (!life.stopping)
        log.error(`the dashboard exited (${code ?? signal}); see ${web!.child.logFile}`);
    });
  }

  const outputs: LocalOutputs = {
    ...endpoints,
    apiUrl,
    webUrl: web?.url ?? null,
    pricesStream: res.pricesStream,
    windowsStream: res.windowsStream,
    archiveBucket: res.archiveBucket,
    userPoolId: res.userPoolId,
    userPoolClientId: res.userPoolClientId,
    windowSizeMs: window.windowSizeMs,
    windowSlideMs: window.windowSlideMs,
    allowedLatenessMs: window.allowedLatenessMs,
    demoUser: res.demoUser,
    tableNames: res.tableNames,
    credentials: { ...LOCAL_CREDENTIALS },
    dataDir,
    pid: process.pid,
    startedAt: new Date().toISOString(),
  };
  await writeOutputs(dataDir, outputs);

  let stopped: Promise<void> | undefined;
  return {
    outputs,
    env,
    stop: () => {
      stopped ??= cleanup();
      return stopped;
    },
    waitForConsumers: async ({ timeoutMs = 60_000 } = {}) => {
      const since = Date.now();
      await Promise.all(mappings.map((m) => m.waitCaughtUp(since, timeoutMs)));
    },
    flushArchive: ({ timeoutMs = 60_000 } = {}) => archive.drain(timeoutMs),
    stopApi: () => apiHost.stop(),
    startApi: () => apiHost.start(),
    status: () => ({
      consumers: Object.fromEntries(mappings.map((m) => [m.id, m.status()])),
      timer: { invocations: timer.invocations, errors: timer.errors },
      archive: archive.status(),
      generator: generator ? { sent: generator.sent } : null,
      api: { listening: apiHost.listening },
    }),
  };
}
