import type { SSTConfig } from "sst";
import { FUNCTION_DEFAULTS } from "@tickstream/core/resources";
import { ApiStack } from "./stacks/ApiStack";
import { ArchiveStack } from "./stacks/ArchiveStack";
import { AuthStack } from "./stacks/AuthStack";
import { MonitoringStack } from "./stacks/MonitoringStack";
import { StorageStack } from "./stacks/StorageStack";
import { StreamStack } from "./stacks/StreamStack";
import { WebStack } from "./stacks/WebStack";
import { LAMBDA_RUNTIME } from "./stacks/functions";
import { stageConfig } from "./stacks/stage-config";

export const APP_NAME = "tickstream";
export const DEFAULT_REGION = "us-east-1";

export default {
  config(input) {
    return {
      name: APP_NAME,
      // `--region` wins, then TICKSTREAM_REGION, then us-east-1.
      region: input.region ?? process.env.TICKSTREAM_REGION ?? DEFAULT_REGION,
    };
  },
  stacks(app) {
    const cfg = stageConfig(app.stage);
    // Every stage but prod is removed whole by `sst remove`, data included. Prod keeps its
    // data: the stacks set RETAIN on every data resource there.
    if (!cfg.retainData) app.setDefaultRemovalPolicy("destroy");

    app.setDefaultFunctionProps({
      runtime: LAMBDA_RUNTIME,
      architecture: "arm_64",
      memorySize: FUNCTION_DEFAULTS.memorySizeMiB,
      timeout: FUNCTION_DEFAULTS.timeoutSeconds,
      tracing: "active",
      logRetention: cfg.logRetention,
      environment: {
        POWERTOOLS_LOG_LEVEL: cfg.logLevel,
        POWERTOOLS_METRICS_NAMESPACE: "Tickstream",
        NODE_OPTIONS: "--enable-source-maps",
      },
      nodejs: { format: "esm", sourcemap: true },
    });

    app
      .stack(StorageStack)
      .stack(StreamStack)
      .stack(ArchiveStack)
      .stack(AuthStack)
      .stack(ApiStack)
      .stack(WebStack)
      .stack(MonitoringStack);
  },
} satisfies SSTConfig;
