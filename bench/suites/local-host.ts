/**
 * Runs the local back end (startLocal, no dashboard, no generator) in its own process for the
 * pipeline and API benchmarks, so that the load they generate does not share a thread with the
 * system under test. Prints `READY <outputs json>` once up; stops when stdin closes or on
 * SIGTERM.
 *
 *   tsx bench/suites/local-host.ts '{"dataDir": "...", "variant": "design" | "baseline"}'
 *
 * variant "baseline" swaps the consumers for the seed's (one UpdateItem per record into a table
 * keyed by instrument, batches of 100, no batching window) and a no-op in place of the windows
 * consumer (the seed had none); the servers, the poller, the archive and the API stay the same.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { fileURLToPath } from "node:url";
import { seedHandler, seedTableInput } from "../baseline.js";

export const SEED_TABLE = "tickstream-seed";

interface HostArgs {
  dataDir: string;
  variant: "design" | "baseline";
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? "{}") as HostArgs;
  const { startLocal } = await import("../../packages/local/src/runtime.js");
  let seed: ((e: never) => Promise<unknown>) | undefined;
  const baseline = args.variant === "baseline";
  const rt = await startLocal({
    dataDir: args.dataDir,
    ports: "auto",
    web: false,
    generator: false,
    quiet: true,
    ...(baseline
      ? {
          poller: { batchSize: 100, batchingWindowMs: 0 },
          handlers: {
            latest: async (event: unknown) => {
              seed ??= seedHandler(new DynamoDBClient({}), SEED_TABLE) as never;
              return seed(event as never);
            },
            windows: async () => ({ batchItemFailures: [] }),
          },
        }
      : {}),
  });
  if (baseline) {
    const ddb = new DynamoDBClient({});
    await ddb.send(new CreateTableCommand(seedTableInput(SEED_TABLE))).catch((e: unknown) => {
      if ((e as { name?: string }).name !== "ResourceInUseException") throw e;
    });
    ddb.destroy();
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await rt.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.stdin.on("end", () => void stop());
  process.stdin.on("close", () => void stop());
  process.stdin.resume();
  process.stdout.write(`READY ${JSON.stringify(rt.outputs)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  });
}
