import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";

/** The repository root (this file is packages/local/src/paths.ts). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export const DEFAULT_DATA_DIR = join(REPO_ROOT, ".local");

/** Where each part keeps its data under the data directory. */
export function dataLayout(dataDir: string) {
  const root = resolve(dataDir);
  return {
    root,
    kinesis: join(root, "kinesis"),
    dynamodb: join(root, "dynamodb"),
    s3: join(root, "s3"),
    /** cognito-local's working directory: it keeps `.cognito/` here. */
    cognito: join(root, "cognito"),
    checkpoints: join(root, "checkpoints"),
    state: join(root, "state.json"),
    logs: join(root, "logs"),
    lock: join(root, "runtime.lock"),
    outputs: join(root, "outputs.json"),
  };
}

export type DataLayout = ReturnType<typeof dataLayout>;
