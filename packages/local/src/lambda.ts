import { randomUUID, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Context } from "aws-lambda";
import {
  FUNCTIONS,
  FUNCTION_DEFAULTS,
  bindingEnv,
  type FunctionSpec,
} from "@tickstream/core/resources";
import { REPO_ROOT } from "./paths.js";

/** Account id the local runtime puts in ARNs. */
export const LOCAL_ACCOUNT = "000000000000";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LambdaHandler<E = any, R = any> = (event: E, context: Context) => Promise<R> | R;

export interface LocalFunction {
  /** Resource id from the description (e.g. "LatestConsumer"); names the function. */
  id: string;
  functionName: string;
  timeoutMs: number;
  /** Reported to the handler as Lambda does; the app's default when not given. */
  memorySizeMiB?: number;
  handler: LambdaHandler;
}

/** The local stand-in of a described function, but for its handler: name, time limit, memory. */
export function localFunctionSettings(spec: FunctionSpec): Omit<LocalFunction, "handler"> {
  return {
    id: spec.id,
    functionName: localFunctionName(spec.id),
    timeoutMs: spec.timeoutSeconds * 1000,
    memorySizeMiB: spec.memorySizeMiB,
  };
}

/** Fails unless `env` points every binding of every described function at something. */
export function assertBindings(env: Readonly<Record<string, string | undefined>>): void {
  const missing = Object.values(FUNCTIONS).flatMap((spec) =>
    spec.bindings
      .filter((binding) => !env[bindingEnv(binding)])
      .map(
        (binding) => `${spec.id} binds ${binding.construct} ${binding.id} (${bindingEnv(binding)})`,
      ),
  );
  if (missing.length > 0)
    throw new Error(`No local resource for these bindings: ${[...new Set(missing)].join("; ")}`);
}

/**
 * Loads a handler the way Lambda does from SST's `handler` setting ("path/to/file.export"),
 * relative to the repository root. The module's bindings (sst/node) are read at import, so the
 * environment must be in place before the first call.
 */
export async function loadHandler(spec: string): Promise<LambdaHandler> {
  const dot = spec.lastIndexOf(".");
  const file = spec.slice(0, dot);
  const exportName = spec.slice(dot + 1);
  const path = join(REPO_ROOT, `${file}.ts`);
  if (!existsSync(path))
    throw new Error(
      `The function module ${file}.ts (handler "${spec}" in the resource description) does not exist`,
    );
  const url = pathToFileURL(path).href;
  const mod = (await import(url)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== "function")
    throw new Error(`${file}.ts does not export a function named ${exportName}`);
  return fn as LambdaHandler;
}

export function localFunctionName(id: string): string {
  return `tickstream-local-${id}`;
}

/** A context object shaped like the one Lambda passes. */
export function lambdaContext(
  fn: { functionName: string; timeoutMs: number; memorySizeMiB?: number },
  region: string,
): Context {
  const deadline = Date.now() + fn.timeoutMs;
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, "/");
  const noop = () => undefined;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${fn.functionName}`,
    memoryLimitInMB: String(fn.memorySizeMiB ?? FUNCTION_DEFAULTS.memorySizeMiB),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString("hex")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: noop,
    fail: noop,
    succeed: noop,
  };
}

/** What Lambda reports for an invocation that ran past the function's time limit. */
export class FunctionTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
    this.name = "FunctionTimeoutError";
  }
}

/**
 * Invokes a function as Lambda does, within its time limit: past `timeoutMs` the invocation
 * fails with FunctionTimeoutError, whatever the handler is doing. Lambda would stop the
 * sandbox; here the handler shares this process and cannot be stopped, so its promise is
 * abandoned (what it does afterwards still happens, as a handler that ignores the remaining
 * time would do in a reused sandbox).
 */
export async function invokeFunction(
  fn: LocalFunction,
  event: unknown,
  region: string,
): Promise<unknown> {
  const context = lambdaContext(fn, region);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(() => fn.handler(event, context)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new FunctionTimeoutError(fn.timeoutMs)), fn.timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
