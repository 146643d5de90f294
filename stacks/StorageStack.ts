import { Bucket, Table, type StackContext, type TableProps } from "sst/constructs";
import { Duration } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import { BUCKETS, TABLES, type KeyType, type TableSpec } from "@tickstream/core/resources";
import { ARCHIVE_PREFIXES } from "@tickstream/core/archive/keys";
import { ACCESS_LOG_PREFIXES, accessLogBucket, logAccessTo } from "./access-logs";
import { removalPolicyOf, stageConfig, type StageConfig } from "./stage-config";

type FieldType = NonNullable<TableProps["fields"]>[string];
const FIELD_TYPE: Record<KeyType, FieldType> = { string: "string", number: "number" };

function table(stack: StackContext["stack"], spec: TableSpec, cfg: StageConfig): Table {
  return new Table(stack, spec.id, {
    fields: {
      [spec.partitionKey.name]: FIELD_TYPE[spec.partitionKey.type],
      [spec.sortKey.name]: FIELD_TYPE[spec.sortKey.type],
    },
    primaryIndex: { partitionKey: spec.partitionKey.name, sortKey: spec.sortKey.name },
    timeToLiveAttribute: spec.ttl,
    cdk: {
      table: {
        // SST sets the older `pointInTimeRecovery` flag; unset it in favour of the specification.
        pointInTimeRecovery: undefined,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: cfg.pointInTimeRecovery },
        deletionProtection: cfg.deletionProtection,
        removalPolicy: removalPolicyOf(cfg),
      },
    },
  });
}

/** DynamoDB tables and the archive bucket: everything that holds data at rest. */
export function StorageStack({ stack, app }: StackContext) {
  const cfg = stageConfig(app.stage);

  const tables = {
    latest: table(stack, TABLES.latest, cfg),
    panes: table(stack, TABLES.panes, cfg),
    windows: table(stack, TABLES.windows, cfg),
    state: table(stack, TABLES.state, cfg),
  };

  const { rawTransitions, rawExpireDays } = cfg.archive;
  const rawRule: s3.LifecycleRule | undefined =
    rawTransitions.length > 0 || rawExpireDays !== undefined
      ? {
          id: "raw",
          prefix: ARCHIVE_PREFIXES.raw,
          transitions: rawTransitions.map((t) => ({
            storageClass: new s3.StorageClass(t.storageClass),
            transitionAfter: Duration.days(t.afterDays),
          })),
          expiration: rawExpireDays === undefined ? undefined : Duration.days(rawExpireDays),
        }
      : undefined;
  const rejects = [
    ARCHIVE_PREFIXES.deadLetters,
    ARCHIVE_PREFIXES.failedBatches,
    ARCHIVE_PREFIXES.errors,
  ];
  const archive = new Bucket(stack, BUCKETS.archive.id, {
    cors: false,
    blockPublicACLs: true,
    cdk: {
      bucket: {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        versioned: false,
        removalPolicy: removalPolicyOf(cfg),
        autoDeleteObjects: !cfg.retainData,
        lifecycleRules: [
          ...(rawRule ? [rawRule] : []),
          ...rejects.map((prefix) => ({
            id: prefix.replace(/\/$/, ""),
            prefix,
            expiration: Duration.days(cfg.archive.rejectsExpireDays),
          })),
          { id: "incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(7) },
        ],
      },
    },
  });

  const accessLogs = accessLogBucket(stack, "AccessLogs", cfg, { aclDelivery: false });
  if (accessLogs) logAccessTo(archive.cdk.bucket, accessLogs, ACCESS_LOG_PREFIXES.archive);

  stack.addOutputs({ ArchiveBucket: archive.bucketName });

  return { tables, archive, accessLogs };
}
