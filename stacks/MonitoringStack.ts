import { use, type Function as SstFunction, type StackContext } from "sst/constructs";
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import { ApiStack } from "./ApiStack";
import { ArchiveStack } from "./ArchiveStack";
import { StreamStack } from "./StreamStack";
import { stageConfig } from "./stage-config";

/** Alarms on the pipeline's health, all notifying one SNS topic. */
export function MonitoringStack({ stack, app }: StackContext) {
  const cfg = stageConfig(app.stage);
  const t = cfg.alarms;
  const { consumers, timer, failedBatches, prices } = use(StreamStack);
  const { handler: apiHandler, api } = use(ApiStack);
  const { delivery } = use(ArchiveStack);

  // Unencrypted on purpose: CloudWatch cannot publish to a topic under the AWS managed SNS
  // key, and alarm notifications carry no data. The topic policy refuses publishing without TLS.
  const topic = new sns.Topic(stack, "Alarms", {
    displayName: `Tickstream ${app.stage} alarms`,
    enforceSSL: true,
  });
  // A topic policy replaces SNS's default one: let this account's alarms keep publishing.
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
      actions: ["sns:Publish"],
      resources: [topic.topicArn],
      conditions: {
        ArnLike: {
          "aws:SourceArn": `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
        },
        StringEquals: { "aws:SourceAccount": stack.account },
      },
    }),
  );
  if (t.email) topic.addSubscription(new subscriptions.EmailSubscription(t.email));
  const notify = new actions.SnsAction(topic);

  const alarm = (id: string, props: cloudwatch.AlarmProps) => {
    const a = new cloudwatch.Alarm(stack, id, {
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    a.addAlarmAction(notify);
    a.addOkAction(notify);
    return a;
  };

  // Consumers falling behind the stream.
  for (const [name, fn] of Object.entries(consumers)) {
    alarm(`${cap(name)}ConsumerIteratorAge`, {
      alarmDescription: `The ${name} consumer is more than ${t.iteratorAgeMs} ms behind the prices stream`,
      metric: fn.metric("IteratorAge", { statistic: "Maximum", period: Duration.minutes(1) }),
      threshold: t.iteratorAgeMs,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
  }

  // Function errors (a consumer error means a batch is being retried).
  const functions: Record<string, SstFunction> = {
    LatestConsumer: consumers.latest,
    WindowsConsumer: consumers.windows,
    WindowsTimer: timer.jobFunction,
    ApiHandler: apiHandler,
  };
  for (const [name, fn] of Object.entries(functions)) {
    alarm(`${name}Errors`, {
      alarmDescription: `${name} reported ${t.functionErrors} or more errors in 5 minutes`,
      metric: fn.metricErrors({ statistic: "Sum", period: Duration.minutes(5) }),
      threshold: t.functionErrors,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  // Batches that exhausted their retries.
  alarm("FailedBatchesVisible", {
    alarmDescription: "Batches that exhausted their retries are waiting in the on-failure queue",
    metric: failedBatches.metricApproximateNumberOfMessagesVisible({
      statistic: "Maximum",
      period: Duration.minutes(5),
    }),
    threshold: t.failedBatches,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
  });

  // Archive delivery: records waiting too long, or deliveries failing.
  alarm("ArchiveFreshness", {
    alarmDescription: `The oldest record not yet archived is older than ${t.archiveFreshnessSeconds} s`,
    metric: delivery.metric("DeliveryToS3.DataFreshness", {
      statistic: "Maximum",
      period: Duration.minutes(5),
    }),
    threshold: t.archiveFreshnessSeconds,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
  });
  alarm("ArchiveDeliveryFailures", {
    alarmDescription: "Firehose deliveries to S3 are failing",
    metric: delivery.metric("DeliveryToS3.Success", {
      statistic: "Minimum",
      period: Duration.minutes(5),
    }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    evaluationPeriods: 1,
  });

  // Producers throttled by the prices stream.
  alarm("PricesWriteThrottled", {
    alarmDescription: "Writes to the prices stream are being throttled",
    metric: prices.cdk.stream.metric("WriteProvisionedThroughputExceeded", {
      statistic: "Sum",
      period: Duration.minutes(5),
    }),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
  });

  // API server errors.
  alarm("ApiServerErrors", {
    alarmDescription: "The HTTP API returned 5xx responses",
    metric: api.cdk.httpApi.metricServerError({ statistic: "Sum", period: Duration.minutes(5) }),
    threshold: t.functionErrors,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
  });

  stack.addOutputs({ AlarmTopic: topic.topicArn });
  return { topic };
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
