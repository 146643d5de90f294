import type { TableNames } from "@tickstream/testkit/provision";
import { readJson, writeJsonAtomic } from "./files.js";
import { runningOwner } from "./lock.js";
import { DEFAULT_DATA_DIR, dataLayout } from "./paths.js";

/**
 * What a running local runtime tells the outside world: `<dataDir>/outputs.json`. It is written
 * once every part answers and removed when the runtime stops, exits, or is killed (then by the
 * guard of its child processes), so its presence means "running".
 */
export interface LocalOutputs {
  region: string;
  kinesisEndpoint: string;
  dynamodbEndpoint: string;
  s3Endpoint: string;
  cognitoEndpoint: string;
  apiUrl: string;
  /** The dashboard; null when started without it (`--no-web`). */
  webUrl: string | null;
  pricesStream: string;
  windowsStream: string;
  archiveBucket: string;
  userPoolId: string;
  userPoolClientId: string;
  windowSizeMs: number;
  windowSlideMs: number;
  allowedLatenessMs: number;
  demoUser: { username: string; password: string };
  /** DynamoDB table names by resource key (latest, panes, windows, state). */
  tableNames: TableNames;
  /** Any access key works against the local servers; these are the ones the runtime uses. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  dataDir: string;
  /** Process id of the runtime. */
  pid: number;
  startedAt: string;
}

export function outputsPath(dataDir = DEFAULT_DATA_DIR): string {
  return dataLayout(dataDir).outputs;
}

export async function writeOutputs(dataDir: string, outputs: LocalOutputs): Promise<void> {
  await writeJsonAtomic(outputsPath(dataDir), outputs);
}

/** The outputs of the runtime running on that data directory, or undefined if none is running. */
export async function readOutputs(dataDir = DEFAULT_DATA_DIR): Promise<LocalOutputs | undefined> {
  const outputs = await readJson<LocalOutputs>(outputsPath(dataDir));
  if (!outputs) return undefined;
  // Left behind by a runtime that was killed: it describes nothing that runs (and its pid may
  // belong to another process by now; the lock tells the owner apart).
  const owner = await runningOwner(dataDir);
  return owner?.pid === outputs.pid ? outputs : undefined;
}
