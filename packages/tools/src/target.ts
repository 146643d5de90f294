/**
 * Where the command-line tools talk to: the local runtime, or a deployed stage.
 *
 * - Local (default): endpoints and stream names from `.local/outputs.json` (written by
 *   `npm start`, or another path with `--outputs`), dummy credentials.
 * - Stage (`--stage NAME`): stream names from the stage's SST outputs in `.sst/outputs.json`
 *   (written by `sst deploy` / `sst dev`), or SST's default name `<stage>-<app>-<Id>` when the
 *   outputs do not list it; the normal AWS credential chain.
 * - Explicit (`--stream NAME` without `--outputs`): that stream in AWS, normal credential chain.
 *
 * `--stream`, `--region` and `--endpoint` override what was found in every mode.
 */
import { existsSync, readFileSync } from "node:fs";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { resolve } from "node:path";
import { DescribeStreamSummaryCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { STREAMS } from "@tickstream/core/resources";
import { TARGET_FLAGS } from "./cli/args.js";
import { readJsonFile } from "./json-file.js";
import { REPO_ROOT } from "@tickstream/local/paths";

// The tools' stderr is for their own messages; the SDK's Node-version notice is not one.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export const DEFAULT_LOCAL_OUTPUTS = ".local/outputs.json";
export const DEFAULT_SST_OUTPUTS = ".sst/outputs.json";

/** The flags that choose the target; defined with the other shared flags in cli/args.ts. */
export { TARGET_FLAGS };

export interface TargetFlags {
  outputs?: string;
  stage?: string;
  stream?: string;
  region?: string;
  endpoint?: string;
}

export type StreamRole = keyof typeof STREAMS;

export interface Target {
  mode: "local" | "aws";
  streamName: string;
  region?: string;
  endpoint?: string;
  client: KinesisClient;
  /** For messages: "stream tickstream-prices on the local runtime (http://127.0.0.1:4567)". */
  description: string;
}

/** The parts of `.local/outputs.json` the tools read. */
interface LocalOutputsFile {
  region?: string;
  kinesisEndpoint?: string;
  pricesStream?: string;
  windowsStream?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export interface ResolveOptions {
  /**
   * Directory that relative paths given by the user resolve against, and where the default
   * files (.local/outputs.json, .sst/outputs.json, sst.config.ts) are looked for. Default: the
   * user's working directory (INIT_CWD under `npm run`) for the former, the repository root for
   * the latter.
   */
  cwd?: string;
  /** SDK attempts per call (the producer does its own retries and passes 1). */
  maxAttempts?: number;
  env?: Record<string, string | undefined>;
}

export function resolveTarget(
  flags: TargetFlags,
  role: StreamRole,
  options: ResolveOptions = {},
): Target {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? env.INIT_CWD ?? process.cwd();
  const root = options.cwd ?? REPO_ROOT;
  if (flags.stage !== undefined) return stageTarget(flags, role, cwd, root, env, options);
  if (flags.stream !== undefined && flags.outputs === undefined)
    return awsTarget(flags, flags.stream, undefined, "", env, options);
  return localTarget(flags, role, cwd, root, options);
}

function localTarget(
  flags: TargetFlags,
  role: StreamRole,
  cwd: string,
  root: string,
  options: ResolveOptions,
): Target {
  const path =
    flags.outputs !== undefined
      ? resolve(cwd, flags.outputs)
      : resolve(root, DEFAULT_LOCAL_OUTPUTS);
  if (!existsSync(path)) {
    throw new Error(
      `no local runtime outputs at ${path}: start the local runtime with \`npm start\` (or pass --outputs PATH), ` +
        `or use --stage NAME / --stream NAME for AWS`,
    );
  }
  const outputs = readJsonFile<LocalOutputsFile>(path);
  const key = `${role}Stream` as const;
  const streamName = flags.stream ?? outputs[key];
  const endpoint = flags.endpoint ?? outputs.kinesisEndpoint;
  if (!streamName) throw new Error(`${path} has no "${key}"; pass --stream NAME`);
  if (!endpoint) throw new Error(`${path} has no "kinesisEndpoint"; pass --endpoint URL`);
  const region = flags.region ?? outputs.region ?? "us-east-1";
  return {
    mode: "local",
    streamName,
    region,
    endpoint,
    client: makeClient({
      region,
      endpoint,
      credentials: outputs.credentials ?? LOCAL_CREDENTIALS,
      maxAttempts: options.maxAttempts,
    }),
    description: `stream ${streamName} on the local runtime (${endpoint})`,
  };
}

function stageTarget(
  flags: TargetFlags,
  role: StreamRole,
  cwd: string,
  root: string,
  env: Record<string, string | undefined>,
  options: ResolveOptions,
): Target {
  const stage = flags.stage!;
  if (!/^[A-Za-z0-9-]+$/.test(stage))
    throw new Error(`--stage must be letters, digits and dashes, got '${stage}'`);
  // The stage's region as sst.config.ts picks it: TICKSTREAM_REGION, else the config's default.
  const app = appConfig(root);
  const stageRegion = env.TICKSTREAM_REGION ?? app.region;
  if (flags.stream)
    return awsTarget(flags, flags.stream, stageRegion, ` (stage ${stage})`, env, options);
  const path =
    flags.outputs !== undefined ? resolve(cwd, flags.outputs) : resolve(root, DEFAULT_SST_OUTPUTS);
  let found: { name: string; region?: string } | undefined;
  if (existsSync(path)) {
    found = findStreamOutput(
      readJsonFile<Record<string, Record<string, string>>>(path),
      stage,
      role,
    );
  }
  if (found)
    return awsTarget(
      flags,
      found.name,
      found.region ?? stageRegion,
      ` (stage ${stage}, from ${path})`,
      env,
      options,
    );
  // Not deployed from this checkout (or the stack does not export it): SST's default name.
  const name = `${stage}-${app.name}-${STREAMS[role].id}`;
  return awsTarget(
    flags,
    name,
    stageRegion,
    ` (stage ${stage}, SST default name; ${path} does not list it)`,
    env,
    options,
  );
}

/**
 * Looks through the stage's stacks (keys "<stage>-<app>-<Stack>") for an output naming the
 * stream: a key containing the role and "stream" (PricesStream, pricesStreamName,
 * PricesStreamArn, …). An ARN gives the region too.
 */
export function findStreamOutput(
  outputs: Record<string, Record<string, string>>,
  stage: string,
  role: StreamRole,
): { name: string; region?: string } | undefined {
  const candidates: [string, string][] = [];
  for (const [stack, values] of Object.entries(outputs)) {
    if (!stack.startsWith(`${stage}-`) || typeof values !== "object" || values === null) continue;
    for (const [key, value] of Object.entries(values)) {
      const k = key.toLowerCase();
      if (
        typeof value === "string" &&
        k.includes("stream") &&
        (k.includes(role) || k.includes(STREAMS[role].id.toLowerCase()))
      ) {
        candidates.push([k, value]);
      }
    }
  }
  // Prefer a plain name over an ARN; both work.
  candidates.sort(([a], [b]) => Number(a.includes("arn")) - Number(b.includes("arn")));
  const hit = candidates[0];
  if (!hit) return undefined;
  const arn = /^arn:aws[\w-]*:kinesis:([\w-]+):\d+:stream\/(.+)$/.exec(hit[1]);
  return arn ? { name: arn[2]!, region: arn[1] } : { name: hit[1] };
}

/** App name and default region from sst.config.ts, read as text (importing it would load SST). */
function appConfig(cwd: string): { name: string; region?: string } {
  for (const file of ["sst.config.ts", "sst.config.js", "sst.config.mjs"]) {
    const path = resolve(cwd, file);
    if (!existsSync(path)) continue;
    const text = readFileSync(path, "utf8");
    const name =
      /APP_NAME\s*=\s*["'`]([\w-]+)["'`]/.exec(text) ??
      /\bname\s*:\s*["'`]([\w-]+)["'`]/.exec(text);
    const region =
      /DEFAULT_REGION\s*=\s*["'`]([\w-]+)["'`]/.exec(text) ??
      /\bregion\s*:\s*["'`]([a-z]{2}-[a-z]+-\d)["'`]/.exec(text);
    return { name: name?.[1] ?? "tickstream", region: region?.[1] };
  }
  return { name: "tickstream" };
}

function awsTarget(
  flags: TargetFlags,
  streamName: string,
  foundRegion: string | undefined,
  note: string,
  env: Record<string, string | undefined>,
  options: ResolveOptions,
): Target {
  const region = flags.region ?? foundRegion ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  // Without a region here the SDK still looks in the shared config file (AWS_PROFILE).
  const endpoint = flags.endpoint;
  // A local endpoint without credentials in the environment: dummy ones, as the runtime takes any.
  const local =
    endpoint !== undefined && /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(endpoint);
  const credentials =
    local && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE ? LOCAL_CREDENTIALS : undefined;
  return {
    mode: local ? "local" : "aws",
    streamName,
    region: region ?? (local ? "us-east-1" : undefined),
    endpoint,
    client: makeClient({
      region: region ?? (local ? "us-east-1" : undefined),
      endpoint,
      credentials,
      maxAttempts: options.maxAttempts,
    }),
    description: `stream ${streamName}${endpoint ? ` at ${endpoint}` : region ? ` in ${region}` : ""}${note}`,
  };
}

function makeClient(config: {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
}): KinesisClient {
  return new KinesisClient({
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.maxAttempts ? { maxAttempts: config.maxAttempts } : {}),
    // HTTP/1.1 with keep-alive: kinesalite refuses the HTTP/2 handler the client would pick.
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
    }),
  });
}

/**
 * Checks that the stream exists and is reachable, with a message that says what to do.
 * Returns the open shard count.
 */
export async function checkStream(
  target: Target,
  signal?: AbortSignal,
): Promise<{ openShards: number; status: string }> {
  try {
    const out = await target.client.send(
      new DescribeStreamSummaryCommand({ StreamName: target.streamName }),
      {
        abortSignal: signal as never,
      },
    );
    const summary = out.StreamDescriptionSummary;
    return { openShards: summary?.OpenShardCount ?? 0, status: summary?.StreamStatus ?? "UNKNOWN" };
  } catch (err) {
    throw new Error(describeError(err, target));
  }
}

export function describeError(err: unknown, target: Target): string {
  const e = err as Error & { code?: string; errno?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? e.name;
  if (e.name === "ResourceNotFoundException") return `${target.description}: stream not found`;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return target.mode === "local"
      ? `cannot reach ${target.endpoint} (${code}): is the local runtime running (\`npm start\`)?`
      : `cannot reach Kinesis${target.endpoint ? ` at ${target.endpoint}` : ""} (${code})`;
  }
  if (e.name === "CredentialsProviderError" || /credential/i.test(e.message)) {
    return `no AWS credentials for ${target.description}: ${e.message} (configure a profile, AWS_PROFILE or AWS_ACCESS_KEY_ID)`;
  }
  if (/region/i.test(e.message) && !target.region)
    return `no AWS region: pass --region or set AWS_REGION (${e.message})`;
  return `${target.description}: ${e.name}: ${e.message}`;
}
