// Stage "prod": everything that must hold in production. One App per file (SST module state).
import { describe, expect, it } from "vitest";
import { Match } from "aws-cdk-lib/assertions";
import {
  API,
  CONSUMERS,
  FUNCTIONS,
  TABLES,
  WINDOWS_TIMER,
  bindingEnv,
  type FunctionKey,
} from "@tickstream/core/resources";
import { ACCESS_LOG_FORMAT, ApiStack } from "./ApiStack";
import {
  FIREHOSE_ERROR_PREFIX as ERROR_PREFIX,
  FIREHOSE_RAW_PREFIX as RAW_PREFIX,
} from "@tickstream/core/archive/keys";
import { ArchiveStack } from "./ArchiveStack";
import { AuthStack } from "./AuthStack";
import { MonitoringStack } from "./MonitoringStack";
import { StorageStack } from "./StorageStack";
import { StreamStack } from "./StreamStack";
import { WebStack } from "./WebStack";
import { ACCESS_LOG_PREFIXES } from "./access-logs";
import { LAMBDA_RUNTIME } from "./functions";
import {
  actionsGrantedTo,
  actionsOf,
  flattenJoin,
  functionEnv,
  iamStatements,
  nagFindings,
  resourceNamed,
  resourcesOf,
  sstMetadata,
  streamResources,
  synthStageForFile,
  wildcardGrants,
} from "../scripts/offline-synth/stage-templates";

const s = synthStageForFile("prod", { nag: true });

const TABLE_READ = ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"];
const TABLE_RW = [
  ...TABLE_READ,
  "dynamodb:BatchWriteItem",
  "dynamodb:ConditionCheckItem",
  "dynamodb:DeleteItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
].sort();
const KINESIS_READ = [
  "kinesis:DescribeStream",
  "kinesis:DescribeStreamConsumer",
  "kinesis:DescribeStreamSummary",
  "kinesis:GetRecords",
  "kinesis:GetShardIterator",
  "kinesis:ListShards",
  "kinesis:ListStreams",
  "kinesis:SubscribeToShard",
];
const SQS_SEND = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"];
const XRAY = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"];
const STREAM_PUT = ["kinesis:DescribeStreamSummary", "kinesis:PutRecord", "kinesis:PutRecords"];

describe("storage (prod)", () => {
  it("creates the four tables from the resource description, on demand, retained, with PITR", () => {
    const t = s.template(StorageStack);
    for (const spec of Object.values(TABLES)) {
      const [, table] = resourceNamed(t, "AWS::DynamoDB::Table", `${spec.id}Table`);
      const p = table.Properties!;
      expect(p.KeySchema).toEqual([
        { AttributeName: spec.partitionKey.name, KeyType: "HASH" },
        { AttributeName: spec.sortKey.name, KeyType: "RANGE" },
      ]);
      const typeOf = { string: "S", number: "N" };
      expect(p.AttributeDefinitions).toEqual(
        expect.arrayContaining([
          { AttributeName: spec.partitionKey.name, AttributeType: typeOf[spec.partitionKey.type] },
          { AttributeName: spec.sortKey.name, AttributeType: typeOf[spec.sortKey.type] },
        ]),
      );
      expect(p.TableName).toBe(`prod-tickstream-${spec.id}`);
      expect(p.BillingMode).toBe("PAY_PER_REQUEST");
      expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(p.DeletionProtectionEnabled).toBe(true);
      expect(table.DeletionPolicy).toBe("Retain");
      const ttl = "ttl" in spec ? spec.ttl : undefined;
      expect(p.TimeToLiveSpecification).toEqual(
        ttl ? { AttributeName: ttl, Enabled: true } : undefined,
      );
    }
  });

  it("keeps the archive bucket private, encrypted, TLS-only and retained", () => {
    const t = s.template(StorageStack);
    const [bucketId, bucket] = resourceNamed(t, "AWS::S3::Bucket", "ArchiveBucket");
    expect(bucket.DeletionPolicy).toBe("Retain");
    expect(bucket.Properties!.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
      ],
    });
    expect(bucket.Properties!.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties!.CorsConfiguration).toBeUndefined();
    t.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Principal: { AWS: "*" },
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
    // Prod keeps the objects when the stack goes: no auto-delete custom resource.
    t.resourceCountIs("Custom::S3AutoDeleteObjects", 0);
  });

  it("moves raw/ to IA then Glacier and expires the rejects", () => {
    const [, bucket] = resourceNamed(s.template(StorageStack), "AWS::S3::Bucket", "ArchiveBucket");
    const rules = (
      bucket.Properties!.LifecycleConfiguration as { Rules: Record<string, unknown>[] }
    ).Rules;
    const byId = Object.fromEntries(rules.map((r) => [r.Id, r]));
    expect(byId.raw).toMatchObject({
      Prefix: "raw/",
      Status: "Enabled",
      Transitions: [
        { StorageClass: "STANDARD_IA", TransitionInDays: 30 },
        { StorageClass: "GLACIER", TransitionInDays: 90 },
      ],
    });
    expect(byId.raw!.ExpirationInDays).toBeUndefined();
    for (const prefix of ["dead-letters", "failed-batches", "errors"]) {
      expect(byId[prefix]).toMatchObject({ Prefix: `${prefix}/`, ExpirationInDays: 180 });
    }
  });
});

describe("streams and consumers (prod)", () => {
  it("creates both streams on demand, KMS-encrypted, retained", () => {
    for (const [spec, stream] of streamResources(s.template(StreamStack))) {
      expect(stream.Properties).toMatchObject({
        Name: `prod-tickstream-${spec.id}`,
        RetentionPeriodHours: 24,
        StreamEncryption: { EncryptionType: "KMS", KeyId: "alias/aws/kinesis" },
        StreamModeDetails: { StreamMode: "ON_DEMAND" },
      });
      expect(stream.Properties!.ShardCount).toBeUndefined();
      expect(stream.DeletionPolicy).toBe("Retain");
    }
  });

  it("maps each consumer with the settings of the resource description and an SQS on-failure destination", () => {
    const t = s.template(StreamStack);
    const [queueId] = resourceNamed(t, "AWS::SQS::Queue", "FailedBatches");
    const [pricesId] = resourceNamed(t, "AWS::Kinesis::Stream", "PricesStream");
    const mappings = resourcesOf(t, "AWS::Lambda::EventSourceMapping");
    expect(Object.keys(mappings)).toHaveLength(2);
    for (const spec of Object.values(CONSUMERS)) {
      const [fnId] = resourceNamed(t, "AWS::Lambda::Function", `PricesConsumerPrices${spec.id}`);
      const mapping = Object.values(mappings).find(
        (m) => (m.Properties!.FunctionName as { Ref: string }).Ref === fnId,
      );
      expect(mapping, spec.id).toBeDefined();
      expect(mapping!.Properties).toMatchObject({
        EventSourceArn: { "Fn::GetAtt": [pricesId, "Arn"] },
        StartingPosition: "TRIM_HORIZON",
        BatchSize: spec.batchSize,
        MaximumBatchingWindowInSeconds: spec.maxBatchingWindowSeconds,
        BisectBatchOnFunctionError: spec.bisectBatchOnError,
        MaximumRetryAttempts: spec.retryAttempts,
        MaximumRecordAgeInSeconds: spec.maxRecordAgeSeconds,
        ParallelizationFactor: spec.parallelizationFactor,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [queueId, "Arn"] } } },
      });
    }
  });

  it("encrypts the on-failure queue and refuses plain HTTP to it", () => {
    const t = s.template(StreamStack);
    const [queueId, queue] = resourceNamed(t, "AWS::SQS::Queue", "FailedBatches");
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    expect(queue.DeletionPolicy).toBe("Retain");
    t.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
  });

  it("points each function at its handler and gives it the stage's settings", () => {
    const t = s.template(StreamStack);
    const handlers = Object.fromEntries(
      sstMetadata(t)
        .filter((m) => m.type === "Function")
        .map((m) => [m.id, m.data.handler]),
    );
    expect(handlers[`Consumer_Prices_${CONSUMERS.latest.id}`]).toBe(CONSUMERS.latest.handler);
    expect(handlers[`Consumer_Prices_${CONSUMERS.windows.id}`]).toBe(CONSUMERS.windows.handler);
    expect(handlers[`Job_${WINDOWS_TIMER.id}`]).toBe(WINDOWS_TIMER.handler);

    for (const prefix of [
      "PricesConsumerPricesLatestConsumer",
      "PricesConsumerPricesWindowsConsumer",
      "WindowsTimerJob",
    ]) {
      const [, fn] = resourceNamed(t, "AWS::Lambda::Function", prefix);
      const p = fn.Properties!;
      expect(p.Runtime).toBe(LAMBDA_RUNTIME);
      expect(p.Architectures).toEqual(["arm64"]);
      expect(p.TracingConfig).toEqual({ Mode: "Active" });
      const env = (p.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env).toMatchObject({
        POWERTOOLS_LOG_LEVEL: "INFO",
        TICKSTREAM_WINDOW_SIZE_MS: "60000",
        TICKSTREAM_WINDOW_SLIDE_MS: "10000",
        TICKSTREAM_ALLOWED_LATENESS_MS: "10000",
        TICKSTREAM_IDLE_TIMEOUT_MS: "30000",
        TICKSTREAM_PANE_RETENTION_HOURS: "168",
        SST_APP: "tickstream",
        SST_STAGE: "prod",
      });
    }
    expect(Object.keys(functionEnv(t, "PricesConsumerPricesLatestConsumer"))).toEqual(
      expect.arrayContaining(["SST_Table_tableName_Latest", "SST_Bucket_bucketName_Archive"]),
    );
    expect(Object.keys(functionEnv(t, "PricesConsumerPricesWindowsConsumer"))).toEqual(
      expect.arrayContaining([
        "SST_Table_tableName_Panes",
        "SST_Table_tableName_Windows",
        "SST_Table_tableName_State",
        "SST_KinesisStream_streamName_Windows",
        "SST_KinesisStream_streamName_Prices",
        "SST_Bucket_bucketName_Archive",
      ]),
    );
  });

  it("runs the windows timer on its schedule", () => {
    const t = s.template(StreamStack);
    const [timerFnId] = resourceNamed(t, "AWS::Lambda::Function", "WindowsTimerJob");
    t.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: WINDOWS_TIMER.scheduleExpression,
      State: "ENABLED",
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [timerFnId, "Arn"] } })],
    });
  });
});

describe("functions (prod)", () => {
  /** Where each described function lands: its stack and the start of its logical id. */
  const deployed: Record<FunctionKey, [typeof StreamStack | typeof ApiStack, string]> = {
    latest: [StreamStack, "PricesConsumerPricesLatestConsumer"],
    windows: [StreamStack, "PricesConsumerPricesWindowsConsumer"],
    windowsTimer: [StreamStack, "WindowsTimerJob"],
    api: [ApiStack, "ApiHandler"],
  };

  it("deploys every function with the timeout, memory and bindings of the resource description", () => {
    for (const key of Object.keys(FUNCTIONS) as FunctionKey[]) {
      const spec = FUNCTIONS[key];
      const [stack, prefix] = deployed[key];
      const [, fn] = resourceNamed(s.template(stack), "AWS::Lambda::Function", prefix);
      const p = fn.Properties!;
      expect(p.Timeout, key).toBe(spec.timeoutSeconds);
      expect(p.MemorySize, key).toBe(spec.memorySizeMiB);
      const env = (p.Environment as { Variables: Record<string, unknown> }).Variables;
      const bound = Object.keys(env).filter((k) => /^SST_[A-Za-z]+_[A-Za-z]+_/.test(k));
      expect(bound.sort(), key).toEqual(spec.bindings.map(bindingEnv).sort());
    }
  });

  it("deploys no handler the resource description does not hold", () => {
    const handlers = Object.values(s.all()).flatMap((t) =>
      sstMetadata(t)
        .filter((m) => m.type === "Function")
        .map((m) => m.data.handler as string),
    );
    expect(handlers.filter((h) => h.startsWith("packages/functions/")).sort()).toEqual(
      Object.values(FUNCTIONS)
        .map((f) => f.handler)
        .sort(),
    );
  });
});

describe("least privilege (prod)", () => {
  it("grants no '*' or 'service:*' action anywhere in the app", () => {
    for (const [stack, t] of Object.entries(s.all())) {
      expect(wildcardGrants(t), stack).toEqual([]);
    }
  });

  it("gives each consumer exactly the actions it needs", () => {
    const t = s.template(StreamStack);
    expect(actionsGrantedTo(t, "PricesConsumerPricesLatestConsumerServiceRole")).toEqual(
      [...TABLE_RW, "s3:PutObject", ...SQS_SEND, ...KINESIS_READ, ...XRAY].sort(),
    );
    expect(actionsGrantedTo(t, "PricesConsumerPricesWindowsConsumerServiceRole")).toEqual(
      [
        ...TABLE_RW,
        ...TABLE_RW,
        ...TABLE_RW,
        ...STREAM_PUT,
        "s3:PutObject",
        ...SQS_SEND,
        ...KINESIS_READ,
        "kinesis:ListShards",
        ...XRAY,
      ].sort(),
    );
    expect(actionsGrantedTo(t, "WindowsTimerJobWindowsTimerServiceRole")).toEqual(
      // Panes, Windows, State, and Latest (it folds the latest log).
      [...TABLE_RW, ...TABLE_RW, ...TABLE_RW, ...TABLE_RW, ...STREAM_PUT, "kinesis:ListShards", ...XRAY].sort(),
    );
    // Dead letters may only be written under dead-letters/.
    t.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: "Allow",
            Action: "s3:PutObject",
            Resource: { "Fn::Join": ["", [Match.anyValue(), "/dead-letters/*"]] },
          },
        ]),
      },
    });
  });

  it("lets functions list the shards of the prices stream alone", () => {
    const t = s.template(StreamStack);
    const [pricesId] = resourceNamed(t, "AWS::Kinesis::Stream", "PricesStream");
    const listShards = iamStatements(t).filter(({ statement }) =>
      actionsOf(statement).includes("kinesis:ListShards"),
    );
    // both event source mappings' read grants, the windows consumer and the windows timer
    expect(new Set(listShards.map((x) => x.owner.replace(/ServiceRole.*/, "")))).toEqual(
      new Set([
        "PricesConsumerPricesLatestConsumer",
        "PricesConsumerPricesWindowsConsumer",
        "WindowsTimerJobWindowsTimer",
      ]),
    );
    for (const { owner, statement } of listShards) {
      expect(statement.Resource, owner).toEqual({ "Fn::GetAtt": [pricesId, "Arn"] });
    }
  });

  it("gives the API read-only table access (no Scan, no writes)", () => {
    const t = s.template(ApiStack);
    expect(actionsGrantedTo(t, "ApiHandlerServiceRole")).toEqual(
      [...TABLE_READ, ...TABLE_READ, ...TABLE_READ, ...TABLE_READ, ...XRAY].sort(),
    );
  });

  it("lets Firehose write only under raw/ and errors/, never delete", () => {
    const actions = actionsGrantedTo(s.template(ArchiveStack), "ArchiveWriterRole");
    expect(actions).toEqual(
      [
        "s3:GetBucketLocation",
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
        "s3:AbortMultipartUpload",
        "s3:GetObject",
        "s3:PutObject",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
      ].sort(),
    );
  });
});

describe("archive (prod)", () => {
  it("reads the prices stream and writes GZIP, newline-delimited records under raw/ and errors/", () => {
    const t = s.template(ArchiveStack);
    const [, delivery] = resourceNamed(
      t,
      "AWS::KinesisFirehose::DeliveryStream",
      "ArchiveDelivery",
    );
    const p = delivery.Properties!;
    expect(p.DeliveryStreamType).toBe("KinesisStreamAsSource");
    const source = p.KinesisStreamSourceConfiguration as {
      KinesisStreamARN: { "Fn::ImportValue": string };
    };
    expect(source.KinesisStreamARN["Fn::ImportValue"]).toMatch(
      /^prod-tickstream-StreamStack:.*PricesStream.*Arn/,
    );
    const dest = p.ExtendedS3DestinationConfiguration as Record<string, unknown>;
    expect(RAW_PREFIX).toBe("raw/!{timestamp:yyyy/MM/dd/HH}/");
    expect(ERROR_PREFIX).toBe("errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/");
    expect(dest).toMatchObject({
      Prefix: "raw/!{timestamp:yyyy/MM/dd/HH}/",
      ErrorOutputPrefix: "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/",
      CompressionFormat: "GZIP",
      BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 },
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [{ Type: "AppendDelimiterToRecord", Parameters: [] }],
      },
    });
    expect((dest.BucketARN as { "Fn::ImportValue": string })["Fn::ImportValue"]).toMatch(
      /^prod-tickstream-StorageStack:.*ArchiveBucket.*Arn/,
    );
  });
});

describe("auth (prod)", () => {
  it("signs in by email, admin-created users only, USER_PASSWORD_AUTH and refresh on the client", () => {
    const t = s.template(AuthStack);
    const [, pool] = resourceNamed(t, "AWS::Cognito::UserPool", "AuthUserPool");
    expect(pool.Properties).toMatchObject({
      UsernameAttributes: ["email"],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      DeletionProtection: "ACTIVE",
    });
    expect(pool.DeletionPolicy).toBe("Retain");
    const [, client] = resourceNamed(t, "AWS::Cognito::UserPoolClient", "AuthUserPoolClient");
    expect(client.Properties!.ExplicitAuthFlows).toEqual(
      expect.arrayContaining([
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
      ]),
    );
    expect(client.Properties!.GenerateSecret).toBe(false);
    t.hasResourceProperties("AWS::Cognito::IdentityPool", {
      AllowUnauthenticatedIdentities: false,
    });
  });
});

describe("api (prod)", () => {
  it("protects every route but GET /health with the Cognito JWT authorizer", () => {
    const t = s.template(ApiStack);
    const [authorizerId, authorizer] = resourceNamed(t, "AWS::ApiGatewayV2::Authorizer", "Api");
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: "JWT",
      IdentitySource: ["$request.header.Authorization"],
    });
    const jwt = authorizer.Properties!.JwtConfiguration as { Issuer: unknown; Audience: unknown[] };
    expect(flattenJoin(jwt.Issuer)).toBe("https://cognito-idp.us-east-1.amazonaws.com/<token>");
    expect(JSON.stringify(jwt.Audience)).toMatch(/AuthStack:.*AuthUserPoolClient/);

    const routes = Object.values(resourcesOf(t, "AWS::ApiGatewayV2::Route"));
    expect(routes.map((r) => r.Properties!.RouteKey).sort()).toEqual([...API.routes].sort());
    for (const route of routes) {
      const key = route.Properties!.RouteKey as string;
      if ((API.publicRoutes as readonly string[]).includes(key)) {
        expect(route.Properties!.AuthorizationType, key).toBe("NONE");
        expect(route.Properties!.AuthorizerId, key).toBeUndefined();
      } else {
        expect(route.Properties!.AuthorizationType, key).toBe("JWT");
        expect(route.Properties!.AuthorizerId, key).toEqual({ Ref: authorizerId });
      }
    }
    expect(API.publicRoutes).toEqual(["GET /health"]);
  });

  it("serves every route from the one API handler", () => {
    const t = s.template(ApiStack);
    const [fnId] = resourceNamed(t, "AWS::Lambda::Function", "ApiHandler");
    const integrations = Object.values(resourcesOf(t, "AWS::ApiGatewayV2::Integration"));
    expect(integrations).toHaveLength(API.routes.length);
    for (const i of integrations) {
      expect(i.Properties!.IntegrationUri).toEqual({ "Fn::GetAtt": [fnId, "Arn"] });
    }
    const handler = sstMetadata(t).find((m) => m.id === "ApiHandler");
    expect(handler?.data.handler).toBe(API.handler);
  });

  it("throttles the default stage and never allows any origin", () => {
    const t = s.template(ApiStack);
    t.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      DefaultRouteSettings: { ThrottlingBurstLimit: 400, ThrottlingRateLimit: 200 },
    });
    const [, api] = resourceNamed(t, "AWS::ApiGatewayV2::Api", "Api");
    // No custom domain configured: the site's origin is added by WebStack once it exists.
    expect(api.Properties!.CorsConfiguration).toEqual({
      AllowCredentials: false,
      AllowHeaders: ["authorization", "content-type"],
      AllowMethods: ["GET"],
      AllowOrigins: [],
      MaxAge: 86400,
    });
  });
});

describe("web (prod)", () => {
  it("gives the Next.js server its settings from the other stacks, on a current runtime", () => {
    const t = s.template(WebStack);
    const [, server] = resourceNamed(t, "AWS::Lambda::Function", "SitedefaultServerFunction");
    expect(server.Properties!.Runtime).toBe(LAMBDA_RUNTIME);
    const env = (server.Properties!.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(env.NEXT_PUBLIC_REGION).toBe("us-east-1");
    expect(JSON.stringify(env.NEXT_PUBLIC_API_URL)).toMatch(
      /prod-tickstream-ApiStack:.*ApiEndpoint/,
    );
    expect(JSON.stringify(env.NEXT_PUBLIC_USER_POOL_ID)).toMatch(
      /prod-tickstream-AuthStack:.*AuthUserPool[0-9A-F]/,
    );
    expect(JSON.stringify(env.NEXT_PUBLIC_USER_POOL_CLIENT_ID)).toMatch(
      /prod-tickstream-AuthStack:.*AuthUserPoolClient/,
    );
    // The same values replace the build-time placeholders in the uploaded client bundle.
    const [, uploader] = resourceNamed(t, "Custom::S3Uploader", "SiteS3AssetUploader");
    const searched = (uploader.Properties!.replaceValues as { search: string }[]).map(
      (r) => r.search,
    );
    expect(searched).toEqual(
      expect.arrayContaining([
        "{{ NEXT_PUBLIC_API_URL }}",
        "{{ NEXT_PUBLIC_USER_POOL_CLIENT_ID }}",
      ]),
    );
  });

  it("adds the CloudFront origin to the API's CORS once the site exists", () => {
    const t = s.template(WebStack);
    const [, cors] = resourceNamed(t, "Custom::AWS", "ApiCorsForSite");
    const call = JSON.parse(flattenJoin(cors.Properties!.Update)) as {
      service: string;
      action: string;
      parameters: { CorsConfiguration: { AllowOrigins: string[] } };
    };
    expect(call.service).toBe("ApiGatewayV2");
    expect(call.action).toBe("UpdateApi");
    expect(call.parameters.CorsConfiguration.AllowOrigins).toEqual(["https://<token>"]);
    expect(actionsGrantedTo(t, "AWS679f53fac002430cb0da5b7982bd2287ServiceRole")).toEqual([
      "apigateway:PATCH",
    ]);
  });
});

describe("monitoring (prod)", () => {
  it("alarms on iterator age, errors, failed batches and archive delivery, to one topic", () => {
    const t = s.template(MonitoringStack);
    const [topicId] = resourceNamed(t, "AWS::SNS::Topic", "Alarms");
    const alarms = Object.values(resourcesOf(t, "AWS::CloudWatch::Alarm")).map(
      (a) => a.Properties!,
    );
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: topicId }]);
    const byMetric = (name: string) => alarms.filter((a) => a.MetricName === name);
    const iteratorAge = byMetric("IteratorAge");
    expect(iteratorAge).toHaveLength(2);
    for (const a of iteratorAge) {
      expect(a).toMatchObject({
        Statistic: "Maximum",
        Threshold: 30_000,
        ComparisonOperator: "GreaterThanThreshold",
      });
    }
    expect(byMetric("Errors").filter((a) => a.Namespace === "AWS/Lambda")).toHaveLength(4);
    expect(byMetric("ApproximateNumberOfMessagesVisible")).toEqual([
      expect.objectContaining({
        Namespace: "AWS/SQS",
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
      }),
    ]);
    expect(byMetric("DeliveryToS3.DataFreshness")).toEqual([
      expect.objectContaining({ Namespace: "AWS/Firehose", Threshold: 900, Statistic: "Maximum" }),
    ]);
    expect(byMetric("DeliveryToS3.Success")).toEqual([
      expect.objectContaining({ Threshold: 1, ComparisonOperator: "LessThanThreshold" }),
    ]);
  });
});

describe("outputs (prod)", () => {
  it("exposes what operators and tools need", () => {
    const outputs = (fn: Parameters<typeof s.template>[0]) =>
      Object.keys(s.template(fn).toJSON().Outputs ?? {});
    expect(outputs(StorageStack)).toContain("ArchiveBucket");
    expect(outputs(StreamStack)).toEqual(expect.arrayContaining(["PricesStream", "WindowsStream"]));
    expect(outputs(AuthStack)).toEqual(
      expect.arrayContaining(["UserPoolId", "UserPoolClientId", "Region"]),
    );
    expect(outputs(ApiStack)).toContain("ApiUrl");
    expect(outputs(WebStack)).toContain("SiteUrl");
  });
});

describe("security checks (prod)", () => {
  it("leaves no cdk-nag finding (AwsSolutions, Serverless) unfixed or unexplained in any stack", () => {
    expect(nagFindings(s.app)).toEqual([]);
  });

  it("grants on '*' only what has no resource-level permissions", () => {
    // The cdk-nag suppressions of IAM5 Resource::* (stacks/nag.ts) rest on exactly this.
    const allowed = new Set([
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      // aws-cdk-lib's log-retention handler (log groups named at deploy time)
      "logs:PutRetentionPolicy",
      "logs:DeleteRetentionPolicy",
    ]);
    for (const [stack, t] of Object.entries(s.all())) {
      const onStar = iamStatements(t)
        .filter(({ statement }) => statement.Effect === "Allow")
        .filter(({ statement }) => ([] as unknown[]).concat(statement.Resource).includes("*"))
        .flatMap(({ owner, statement }) => actionsOf(statement).map((a) => `${owner}: ${a}`));
      expect(
        onStar.filter((x) => !allowed.has(x.split(": ")[1]!)),
        stack,
      ).toEqual([]);
    }
  });

  it("logs access to the archive bucket into a private, TLS-only log bucket kept a year", () => {
    const t = s.template(StorageStack);
    const [archiveId, archive] = resourceNamed(t, "AWS::S3::Bucket", "ArchiveBucket");
    const [logsId, logs] = resourceNamed(t, "AWS::S3::Bucket", "AccessLogs");
    expect(archive.Properties!.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logsId },
      LogFilePrefix: ACCESS_LOG_PREFIXES.archive,
    });
    expect(logs.DeletionPolicy).toBe("Retain");
    expect(logs.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
        ],
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
      LifecycleConfiguration: {
        Rules: expect.arrayContaining([expect.objectContaining({ ExpirationInDays: 365 })]),
      },
    });
    t.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: logsId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
          Match.objectLike({
            Effect: "Allow",
            Principal: { Service: "logging.s3.amazonaws.com" },
            Action: "s3:PutObject",
            Condition: {
              ArnLike: { "aws:SourceArn": { "Fn::GetAtt": [archiveId, "Arn"] } },
              StringEquals: { "aws:SourceAccount": "123456789012" },
            },
          }),
        ]),
      },
    });
  });

  it("logs the dashboard's CloudFront requests into its own log bucket", () => {
    const t = s.template(WebStack);
    const [logsId, logs] = resourceNamed(t, "AWS::S3::Bucket", "SiteAccessLogs");
    // CloudFront standard logging writes through the bucket ACL.
    expect(logs.Properties!.OwnershipControls).toEqual({
      Rules: [{ ObjectOwnership: "BucketOwnerPreferred" }],
    });
    expect(logs.Properties!.PublicAccessBlockConfiguration).toMatchObject({
      BlockPublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const [, distribution] = resourceNamed(t, "AWS::CloudFront::Distribution", "Site");
    const config = distribution.Properties!.DistributionConfig as { Logging: unknown };
    expect(config.Logging).toEqual({
      Bucket: { "Fn::GetAtt": [logsId, "RegionalDomainName"] },
      Prefix: ACCESS_LOG_PREFIXES.site,
    });
  });

  it("enforces Cognito threat protection and a password policy with every character class", () => {
    const [, pool] = resourceNamed(s.template(AuthStack), "AWS::Cognito::UserPool", "AuthUserPool");
    expect(pool.Properties).toMatchObject({
      UserPoolTier: "PLUS",
      UserPoolAddOns: { AdvancedSecurityMode: "ENFORCED" },
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
    });
  });

  it("writes the API access log as JSON, one object per request", () => {
    const t = s.template(ApiStack);
    const [, stage] = resourceNamed(t, "AWS::ApiGatewayV2::Stage", "Api");
    const settings = stage.Properties!.AccessLogSettings as { Format: string };
    expect(settings.Format).toBe(ACCESS_LOG_FORMAT);
    expect(JSON.parse(settings.Format)).toMatchObject({
      requestId: "$context.requestId",
      routeKey: "$context.routeKey",
      status: "$context.status",
    });
  });

  it("refuses plain HTTP to the alarm topic and the site's revalidation queue", () => {
    const tlsOnly = Match.objectLike({
      Effect: "Deny",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    const monitoring = s.template(MonitoringStack);
    const [topicId] = resourceNamed(monitoring, "AWS::SNS::Topic", "Alarms");
    monitoring.hasResourceProperties("AWS::SNS::TopicPolicy", {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          tlsOnly,
          // The topic policy replaces SNS's default one: alarms must still be able to publish.
          Match.objectLike({
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
          }),
        ]),
      },
    });
    const web = s.template(WebStack);
    const [queueId] = resourceNamed(web, "AWS::SQS::Queue", "SiteRevalidationQueue");
    web.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: queueId }],
      PolicyDocument: { Statement: Match.arrayWith([tlsOnly]) },
    });
  });
});
