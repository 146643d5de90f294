/**
 * Access-log buckets, on stages whose settings ask for access logs (`accessLogs` in
 * stage-config.ts): the archive bucket's S3 server access logs (StorageStack) and the
 * dashboard's CloudFront logs (WebStack).
 */
import { Duration, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";
import { removalPolicyOf, type StageConfig } from "./stage-config";

/** Where each source writes in its log bucket. */
export const ACCESS_LOG_PREFIXES = { archive: "archive/", site: "site/" } as const;

/**
 * A private, TLS-only bucket that keeps logs for the stage's `accessLogs.expireDays`, or
 * undefined on stages without access logs. `aclDelivery` keeps ACLs enabled, which CloudFront
 * standard logging needs (it grants its log-delivery account in the bucket ACL); S3 server
 * access logs use a bucket policy instead.
 */
export function accessLogBucket(
  scope: Construct,
  id: string,
  cfg: StageConfig,
  opts: { aclDelivery: boolean },
): s3.Bucket | undefined {
  if (!cfg.accessLogs) return undefined;
  return new s3.Bucket(scope, id, {
    // Neither S3 server access logging nor CloudFront standard logging can write under KMS.
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    objectOwnership: opts.aclDelivery
      ? s3.ObjectOwnership.BUCKET_OWNER_PREFERRED
      : s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: false,
    removalPolicy: removalPolicyOf(cfg),
    autoDeleteObjects: !cfg.retainData,
    lifecycleRules: [
      { id: "expire", expiration: Duration.days(cfg.accessLogs.expireDays) },
      { id: "incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(7) },
    ],
  });
}

/**
 * S3 server access logs of `source` into `logs` under `prefix`, delivered by the S3 logging
 * service under a bucket policy limited to that source bucket and account (the way AWS
 * recommends; the legacy log-delivery ACL is not used).
 */
export function logAccessTo(source: s3.IBucket, logs: s3.Bucket, prefix: string): void {
  logs.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal("logging.s3.amazonaws.com")],
      actions: ["s3:PutObject"],
      resources: [logs.arnForObjects(`${prefix}*`)],
      conditions: {
        ArnLike: { "aws:SourceArn": source.bucketArn },
        StringEquals: { "aws:SourceAccount": Stack.of(logs).account },
      },
    }),
  );
  const cfn = source.node.defaultChild as s3.CfnBucket;
  cfn.loggingConfiguration = { destinationBucketName: logs.bucketName, logFilePrefix: prefix };
}
