import type { FunctionProps } from "sst/constructs";
import type { FunctionSpec } from "@tickstream/core/resources";

/** A function's handler, time limit and memory as the resource description sets them. */
export function describedFunction(spec: FunctionSpec) {
  return {
    handler: spec.handler,
    timeout: spec.timeoutSeconds,
    memorySize: spec.memorySizeMiB,
  } satisfies FunctionProps;
}
