import { gunzipSync } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";

/** Test helpers that read the local archive bucket. */

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const res = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

export async function getObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** Every line of every raw archive object (gunzipped), newline kept off. */
export async function archivedLines(s3: S3Client, bucket: string): Promise<string[]> {
  const lines: string[] = [];
  for (const key of await listKeys(s3, bucket, "raw/")) {
    const text = gunzipSync(await getObject(s3, bucket, key)).toString("utf8");
    if (!text.endsWith("\n")) throw new Error(`${key} does not end with a newline`);
    lines.push(...text.slice(0, -1).split("\n"));
  }
  return lines;
}

/** Counts of each value: compare two multisets with toEqual. */
export function multiset(values: string[]): Record<string, number> {
  const m: Record<string, number> = {};
  for (const v of values) m[v] = (m[v] ?? 0) + 1;
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
