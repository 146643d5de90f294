/**
 * Where replay reads the archive from, found the same way target.ts finds the stream:
 * - local (default): `archiveBucket` and `s3Endpoint` of `.local/outputs.json` (or --outputs),
 *   path-style addressing, the runtime's dummy credentials;
 * - stage (`--stage NAME`): the archive bucket named in the stage's SST outputs
 *   (`.sst/outputs.json`), or `--bucket`; the normal AWS credential chain;
 * - explicit (`--stream NAME` without outputs): `--bucket` is required.
 * `--bucket` and `--s3-endpoint` override what was found.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import {
  DEFAULT_LOCAL_OUTPUTS,
  DEFAULT_SST_OUTPUTS,
  type Target,
  type TargetFlags,
} from "../target.js";
import { readJsonFile } from "../json-file.js";

export interface ArchiveFlags extends TargetFlags {
  bucket?: string;
  "s3-endpoint"?: string;
}

export interface ArchiveTarget {
  bucket: string;
  client: S3Client;
  description: string;
}

interface LocalOutputsFile {
  region?: string;
  s3Endpoint?: string;
  archiveBucket?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/**
 * Looks through the stage's stacks ("<stage>-<app>-<Stack>") for an output naming the archive
 * bucket: a key containing "archive" and "bucket" (ArchiveBucket, archiveBucketName, …).
 */
export function findArchiveBucketOutput(
  outputs: Record<string, Record<string, string>>,
  stage: string,
): string | undefined {
  const hits: [string, string][] = [];
  for (const [stack, values] of Object.entries(outputs)) {
    if (!stack.startsWith(`${stage}-`) || typeof values !== "object" || values === null) continue;
    for (const [key, value] of Object.entries(values)) {
      const k = key.toLowerCase();
      if (typeof value === "string" && k.includes("archive") && k.includes("bucket"))
        hits.push([k, value]);
    }
  }
  hits.sort(([a], [b]) => Number(a.includes("arn")) - Number(b.includes("arn")));
  const value = hits[0]?.[1];
  return value?.replace(/^arn:aws[\w-]*:s3:::/, "");
}

export function resolveArchive(
  flags: ArchiveFlags,
  stream: Target,
  cwd = process.cwd(),
): ArchiveTarget {
  const endpoint = flags["s3-endpoint"];
  if (stream.mode === "local" && flags.stage === undefined) {
    const path = resolve(cwd, flags.outputs ?? DEFAULT_LOCAL_OUTPUTS);
    const outputs = existsSync(path) ? readJsonFile<LocalOutputsFile>(path) : {};
    const bucket = flags.bucket ?? outputs.archiveBucket;
    const s3Endpoint = endpoint ?? outputs.s3Endpoint;
    if (!bucket)
      throw new Error(`no archive bucket: ${path} has no "archiveBucket"; pass --bucket NAME`);
    if (!s3Endpoint)
      throw new Error(`no local S3 endpoint: ${path} has no "s3Endpoint"; pass --s3-endpoint URL`);
    return {
      bucket,
      client: new S3Client({
        region: stream.region ?? outputs.region ?? "us-east-1",
        endpoint: s3Endpoint,
        forcePathStyle: true,
        credentials: outputs.credentials ?? LOCAL_CREDENTIALS,
      }),
      description: `bucket ${bucket} on the local runtime (${s3Endpoint})`,
    };
  }
  let bucket = flags.bucket;
  let from = "--bucket";
  if (!bucket && flags.stage !== undefined) {
    const path = resolve(cwd, flags.outputs ?? DEFAULT_SST_OUTPUTS);
    if (existsSync(path)) {
      bucket = findArchiveBucketOutput(
        readJsonFile<Record<string, Record<string, string>>>(path),
        flags.stage,
      );
      from = path;
    }
  }
  if (!bucket) {
    throw new Error(
      flags.stage !== undefined
        ? `the outputs of stage ${flags.stage} do not name the archive bucket: pass --bucket NAME`
        : "replaying from AWS needs --bucket NAME (the archive bucket)",
    );
  }
  return {
    bucket,
    client: new S3Client({
      ...(stream.region ? { region: stream.region } : {}),
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    }),
    description: `bucket ${bucket}${stream.region ? ` in ${stream.region}` : ""} (from ${from})`,
  };
}
