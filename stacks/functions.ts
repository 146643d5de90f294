import type { FunctionProps } from "sst/constructs";
import type { FunctionSpec } from "@tickstream/core/resources";

/**
 * Lambda runtime of every function of the app and of the site's server function: the newest
 * Node.js runtime Lambda offers (and aws-cdk-lib knows), as cdk-nag's runtime checks require.
 */
export const LAMBDA_RUNTIME = "nodejs24.x" satisfies FunctionProps["runtime"];

/** A function's handler, time limit and memory as the resource description sets them. */
export function describedFunction(spec: FunctionSpec) {
  return {
    handler: spec.handler,
    timeout: spec.timeoutSeconds,
    memorySize: spec.memorySizeMiB,
  } satisfies FunctionProps;
}
