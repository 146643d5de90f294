import { use, type StackContext } from "sst/constructs";
import { Duration, Size } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as firehose from "aws-cdk-lib/aws-kinesisfirehose";
import * as logs from "aws-cdk-lib/aws-logs";
import {
  ARCHIVE_PREFIXES,
  FIREHOSE_ERROR_PREFIX,
  FIREHOSE_RAW_PREFIX,
} from "@tickstream/core/archive/keys";
import { ARCHIVE_BUFFERING } from "@tickstream/core/resources";
import { StorageStack } from "./StorageStack";
import { StreamStack } from "./StreamStack";
import { logRetentionOf, removalPolicyOf, stageConfig } from "./stage-config";

/**
 * Firehose reads `prices` and writes every raw record, bad ones included, to the archive
 * bucket, one record per line, GZIP-compressed.
 */
export function ArchiveStack({ stack, app }: StackContext) {
  const cfg = stageConfig(app.stage);
  const { archive } = use(StorageStack);
  const { prices } = use(StreamStack);

  const deliveryLogs = new logs.LogGroup(stack, "ArchiveDeliveryLogs", {
    retention: logRetentionOf(cfg),
    removalPolicy: removalPolicyOf(cfg),
  });

  const writer = new iam.Role(stack, "ArchiveWriterRole", {
    assumedBy: new iam.ServicePrincipal("firehose.amazonaws.com"),
    description: "Firehose: writes the archive under raw/ and errors/",
  });

  // The L2 destination would grant read/write (deletes included) on the whole bucket. Firehose
  // gets the role through a view that ignores those grants; the role holds only the S3
  // permissions AWS documents for Firehose, and only under its two prefixes.
  const bucketArn = archive.bucketArn;
  writer.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
      resources: [bucketArn],
    }),
  );
  writer.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
      resources: [
        `${bucketArn}/${ARCHIVE_PREFIXES.raw}*`,
        `${bucketArn}/${ARCHIVE_PREFIXES.errors}*`,
      ],
    }),
  );
  writer.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [deliveryLogs.logGroupArn],
    }),
  );

  const delivery = new firehose.DeliveryStream(stack, "ArchiveDelivery", {
    source: new firehose.KinesisStreamSource(prices.cdk.stream),
    destination: new firehose.S3Bucket(archive.cdk.bucket, {
      dataOutputPrefix: FIREHOSE_RAW_PREFIX,
      errorOutputPrefix: FIREHOSE_ERROR_PREFIX,
      compression: firehose.Compression.GZIP,
      fileExtension: ".gz",
      bufferingInterval: Duration.seconds(ARCHIVE_BUFFERING.intervalSeconds),
      bufferingSize: Size.mebibytes(ARCHIVE_BUFFERING.sizeMiB),
      // Firehose concatenates records; this built-in processor appends "\n" to each one, so
      // every record is one line. (It appends unconditionally: a record that already ends
      // with a newline is followed by an empty line.)
      processors: [new firehose.AppendDelimiterToRecordProcessor()],
      loggingConfig: new firehose.EnableLogging(deliveryLogs),
      role: writer.withoutPolicyUpdates(),
    }),
  });
  // Firehose checks its access when the stream is created: the policy must exist first.
  delivery.node.addDependency(writer);

  return { delivery };
}
