import { randomUUID } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { failedBatchKey as layoutKey } from "@tickstream/core/archive/keys";
import type { OnFailureRecord } from "./events.js";

/**
 * The local on-failure destination: each discarded batch's metadata (the document Lambda would
 * send to SQS) as a JSON object under `failed-batches/` in the archive bucket:
 * `failed-batches/<function>/<shardId>/YYYY/MM/DD/<time>-<uuid>.json`.
 */
export function failedBatchKey(functionName: string, doc: OnFailureRecord): string {
  return layoutKey(functionName, doc.KinesisBatchInfo.shardId, doc.timestamp, randomUUID());
}

export function s3FailureDestination(s3: S3Client, bucket: string, functionName: string) {
  return async (doc: OnFailureRecord): Promise<void> => {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: failedBatchKey(functionName, doc),
        Body: JSON.stringify(doc, null, 2),
        ContentType: "application/json",
      }),
    );
  };
}
