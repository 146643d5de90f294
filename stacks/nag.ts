/**
 * Security checks of the templates with cdk-nag (AwsSolutions and Serverless rule packs), and
 * every finding the app accepts, each with its reason. Findings are fixed in the stacks where
 * the app controls the resource; what remains below is either a resource SST or aws-cdk-lib
 * creates and configures itself, a rule that does not fit how the resource is used, or a
 * production-only setting (stage-config.ts) that other stages leave off to save money.
 * docs/deploying.md ("Security checks") summarizes both lists.
 */
import { Aspects, Stack } from "aws-cdk-lib";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import {
  AwsSolutionsChecks,
  NagSuppressions,
  ServerlessChecks,
  type NagPackSuppression,
} from "cdk-nag";
import type { IConstruct } from "constructs";
import { use, type App, type Function as SstFunction } from "sst/constructs";
import { API } from "@tickstream/core/resources";
import { ApiStack } from "./ApiStack";
import { ArchiveStack } from "./ArchiveStack";
import { AuthStack } from "./AuthStack";
import { StorageStack } from "./StorageStack";
import { StreamStack } from "./StreamStack";
import { WebStack } from "./WebStack";
import { stageConfig, type StageConfig } from "./stage-config";

/** Rule ids of the two packs (annotations start with the id). */
export const NAG_RULES = "(AwsSolutions|Serverless)-.*";

/**
 * Adds both rule packs to the app and records the accepted findings. Call once every stack is
 * built and before synthesis (`app.finish()` / `app.synth()`): the packs run as aspects.
 */
export function applyNagChecks(app: App): void {
  const cfg = stageConfig(app.stage);
  for (const stack of app.node.children.filter(Stack.isStack)) everyStack(stack);
  storage(cfg);
  stream();
  archive();
  auth(cfg);
  api();
  web(cfg);
  Aspects.of(app).add(new AwsSolutionsChecks({ reports: false }));
  Aspects.of(app).add(new ServerlessChecks({ reports: false }));
}

const suppress = (
  construct: IConstruct | IConstruct[],
  rules: NagPackSuppression[],
  withChildren = false,
) => NagSuppressions.addResourceSuppressions(construct, rules, withChildren);

/** A child that SST or aws-cdk-lib creates under a known id (fails loudly if it moved). */
function child(scope: IConstruct, id: string): IConstruct {
  const found = scope.node.tryFindChild(id);
  if (!found) throw new Error(`cdk-nag suppressions: no "${id}" under ${scope.node.path}`);
  return found;
}

function rolePolicy(fn: SstFunction): IConstruct {
  return child(child(fn, "ServiceRole"), "DefaultPolicy");
}

/**
 * Objects of the archive bucket under a key prefix, as cdk-nag names the resource: by logical
 * id, or (once the app has been synthesized) by the export StorageStack makes of its ARN.
 */
const archiveObjects = (prefix: string) => ({
  regex: `/^Resource::(<ArchiveBucket[0-9A-F]{8}\\.Arn>|[\\w-]+-StorageStack:ExportsOutputFnGetAttArchiveBucket[0-9A-F]{8}Arn[0-9A-F]{8})\\/${prefix}\\/\\*$/`,
});

const BASIC_EXECUTION_ROLE =
  "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

// ---------------------------------------------------------------------------------------------
// Functions: rules that do not fit how a function is invoked, and X-Ray.

const XRAY_ONLY: NagPackSuppression = {
  id: "AwsSolutions-IAM5",
  appliesTo: ["Resource::*"],
  reason:
    "The only statement on '*' is xray:PutTraceSegments and xray:PutTelemetryRecords, added for active tracing: X-Ray has no resource-level permissions. Every other statement names its table, stream, queue or key prefix.",
};

const SYNC_NO_DLQ = (invoker: string): NagPackSuppression => ({
  id: "Serverless-LambdaDLQ",
  reason: `Invoked synchronously by ${invoker}; a function's dead-letter queue only receives failed asynchronous invocations, so it would never hold anything.`,
});

/** A Lambda function that SST (2.49.8) or aws-cdk-lib creates with its own settings. */
const ownedFunction = (what: string, owner: "SST" | "aws-cdk-lib"): NagPackSuppression[] => {
  const runtime = `${what}: ${owner} sets its runtime and bundles its code for that runtime; the app's own functions run the newest one (stacks/functions.ts).`;
  return [
    { id: "AwsSolutions-L1", reason: runtime },
    { id: "Serverless-LambdaLatestVersion", reason: runtime },
    {
      id: "Serverless-LambdaTracing",
      reason: `${what}: ${owner} offers no tracing setting for it; X-Ray traces the app's own functions.`,
    },
  ];
};

/** The handler of a custom resource: it runs only while CloudFormation deploys the stack. */
const deployTimeFunction = (what: string, owner: "SST" | "aws-cdk-lib"): NagPackSuppression[] => [
  ...ownedFunction(what, owner),
  {
    id: "Serverless-LambdaDLQ",
    reason: `${what} runs only during deployments: CloudFormation waits for its answer and fails the deployment when it fails, so a dead-letter queue would have nothing to replay.`,
  },
];

// ---------------------------------------------------------------------------------------------

function everyStack(stack: Stack): void {
  NagSuppressions.addStackSuppressions(stack, [
    {
      id: "AwsSolutions-IAM4",
      appliesTo: [BASIC_EXECUTION_ROLE],
      reason:
        "AWSLambdaBasicExecutionRole allows only logs:CreateLogGroup, logs:CreateLogStream and logs:PutLogEvents, the least a Lambda function needs to write its own logs; CDK attaches it to every function role.",
    },
  ]);

  // SST's per-stack custom-resource handler (stack metadata, bindings, site deployment).
  const handler = (stack as Stack & { customResourceHandler?: IConstruct }).customResourceHandler;
  if (handler) {
    suppress(
      handler,
      deployTimeFunction("SST's custom-resource handler (stack metadata, site deployment)", "SST"),
      true,
    );
  }

  // aws-cdk-lib's log-retention handler (functions and API access logs with a retention).
  const logRetention = stack.node.children.find((c) => c.node.id.startsWith("LogRetention"));
  if (logRetention) {
    suppress(
      logRetention,
      [
        {
          id: "AwsSolutions-IAM5",
          appliesTo: ["Resource::*"],
          reason:
            "aws-cdk-lib's log-retention handler holds only logs:PutRetentionPolicy and logs:DeleteRetentionPolicy; the log groups it sets are named by Lambda after functions whose names are generated at deploy time.",
        },
      ],
      true,
    );
  }
}

function storage(cfg: StageConfig): void {
  const { tables, archive, accessLogs } = use(StorageStack);
  if (!cfg.pointInTimeRecovery) {
    suppress(
      Object.values(tables).map((t) => t.cdk.table),
      [
        {
          id: "AwsSolutions-DDB3",
          reason: `Point-in-time recovery is a production setting (stage-config.ts pointInTimeRecovery), billed per GB-month. Stage "${cfg.stage}" is removed with its data, and its tables hold test data that replaying the stream rebuilds.`,
        },
      ],
    );
  }
  // With access logs on, the archive bucket logs into its log bucket, which cdk-nag accepts
  // as the logging destination it is.
  if (!accessLogs) {
    suppress(archive.cdk.bucket, [
      {
        id: "AwsSolutions-S1",
        reason: `Server access logging is a production setting (stage-config.ts accessLogs), billed as log storage. Stage "${cfg.stage}" holds test data only and is removed whole.`,
      },
    ]);
  }
}

function stream(): void {
  const { failedBatches, consumers, timer } = use(StreamStack);
  suppress(failedBatches, [
    {
      id: "AwsSolutions-SQS3",
      reason:
        "FailedBatches is itself a dead-letter queue: the on-failure destination of the consumers' Kinesis event source mappings (cdk-nag only recognizes queues named in another queue's redrive policy).",
    },
    {
      id: "Serverless-SQSRedrivePolicy",
      reason:
        "FailedBatches is the last stop of failed batches: nothing consumes it automatically, an operator replays its records (docs/runbook.md), so there is nothing to redrive to.",
    },
  ]);

  for (const fn of Object.values(consumers)) {
    suppress(fn, [
      SYNC_NO_DLQ(
        "a Kinesis event source mapping, whose own on-failure destination (FailedBatches) receives batches that exhaust their retries",
      ),
    ]);
    suppress(rolePolicy(fn), [
      XRAY_ONLY,
      {
        id: "AwsSolutions-IAM5",
        appliesTo: [archiveObjects("dead-letters")],
        reason:
          "s3:PutObject only, and only under the archive bucket's dead-letters/ prefix: the key names of dead letters are made per record.",
      },
    ]);
  }

  const timerFn = timer.jobFunction;
  suppress(timerFn, [
    {
      id: "Serverless-LambdaDLQ",
      reason:
        "The windows timer runs every minute and each run closes every window that is due: a failed run is superseded by the next one and raises the WindowsTimerErrors alarm, so a queued event would have nothing to replay.",
    },
  ]);
  suppress(rolePolicy(timerFn), [XRAY_ONLY]);
  suppress(timer.cdk.rule, [
    {
      id: "Serverless-EventBusDLQ",
      reason:
        "A schedule target: an undelivered tick is superseded by the next one a minute later, so a dead-letter queue would only collect stale ticks.",
    },
  ]);
}

function archive(): void {
  const { delivery } = use(ArchiveStack);
  suppress(delivery, [
    {
      id: "AwsSolutions-KDF1",
      reason:
        "Firehose server-side encryption applies to Direct PUT delivery streams only; this one reads the prices Kinesis stream, which is encrypted with the AWS managed KMS key, and writes to the archive bucket, encrypted with SSE-S3.",
    },
  ]);
  const writerPolicy = child(child(Stack.of(delivery), "ArchiveWriterRole"), "DefaultPolicy");
  suppress(writerPolicy, [
    {
      id: "AwsSolutions-IAM5",
      appliesTo: [archiveObjects("(raw|errors)")],
      reason:
        "Firehose writes objects whose keys it makes from the arrival time, so object access (AbortMultipartUpload, GetObject, PutObject) is granted under the raw/ and errors/ prefixes, not on the whole bucket.",
    },
  ]);
}

function auth(cfg: StageConfig): void {
  const { auth } = use(AuthStack);
  const pool = auth.cdk.userPool;
  suppress(pool, [
    {
      id: "AwsSolutions-COG2",
      reason:
        "MFA is not required: the dashboard signs in with USER_PASSWORD_AUTH and has no MFA challenge step (nor has the local Cognito emulator it is tested against). Users are admin-created in production, passwords need 12 characters of every class (COG1), and production enforces threat protection (COG3).",
    },
  ]);
  if (!cfg.auth.threatProtection) {
    suppress(pool, [
      {
        id: "AwsSolutions-COG3",
        reason: `Threat protection needs Cognito's Plus feature plan, billed per monthly active user: a production setting (stage-config.ts auth.threatProtection). Stage "${cfg.stage}" has test users only.`,
      },
    ]);
  }
}

function api(): void {
  const { api, handler } = use(ApiStack);
  suppress(handler, [SYNC_NO_DLQ("API Gateway (HTTP API proxy integration)")]);
  suppress(rolePolicy(handler), [XRAY_ONLY]);

  const publicRoutes: readonly string[] = API.publicRoutes;
  const routes = api.node
    .findAll()
    .filter((c): c is apigwv2.CfnRoute => c instanceof apigwv2.CfnRoute)
    .filter((r) => publicRoutes.includes(r.routeKey));
  if (routes.length !== publicRoutes.length) {
    throw new Error(`cdk-nag suppressions: expected routes ${publicRoutes.join(", ")}`);
  }
  suppress(routes, [
    {
      id: "AwsSolutions-APIG4",
      reason: `Public on purpose (core's API.publicRoutes: ${publicRoutes.join(", ")}): a liveness probe that returns no data. Every other route requires the Cognito JWT authorizer.`,
    },
  ]);
}

function web(cfg: StageConfig): void {
  const { site, siteLogs, corsUpdate } = use(WebStack);
  // Undefined only in `sst dev`, where the site is not deployed.
  const siteCdk = site.cdk;
  if (!siteCdk) return;
  const ofSite = (what: string) => `${what} of SST's NextjsSite`;

  suppress(siteCdk.bucket, [
    {
      id: "AwsSolutions-S1",
      reason:
        "The site bucket holds the dashboard's build assets and is read only by CloudFront (origin access identity); requests are logged by the distribution on stages with access logs.",
    },
  ]);
  suppress(child(site, "S3AssetUploaderPolicy"), [
    {
      id: "AwsSolutions-IAM5",
      appliesTo: [
        { regex: "/^Resource::<SiteS3Bucket[0-9A-F]{8}\\.Arn>\\/\\*$/" },
        {
          regex:
            "/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-\\d{12}-[a-z0-9-]+\\/\\*$/",
        },
      ],
      reason: `${ofSite("Deploy-time asset upload")}: it copies the build from the CDK asset bucket into the site bucket, so it reads and writes objects of exactly those two buckets.`,
    },
  ]);

  const server = child(site, "defaultServerFunction");
  suppress(child(server, "AssetReplacerPolicy"), [
    {
      id: "AwsSolutions-IAM5",
      appliesTo: [{ regex: "/^Resource::arn:<AWS::Partition>:s3:::[^/]+\\/\\*$/" }],
      reason: `${ofSite("Deploy-time replacement of the server bundle's placeholders")}: it rewrites objects of the one asset bucket it names.`,
    },
  ]);
  const serverFn = child(server, "ServerFunction");
  suppress(
    serverFn,
    [
      {
        id: "AwsSolutions-IAM5",
        appliesTo: [
          "Action::s3:GetObject*",
          "Action::s3:GetBucket*",
          "Action::s3:List*",
          "Action::s3:DeleteObject*",
          "Action::s3:Abort*",
          { regex: "/^Resource::<SiteS3Bucket[0-9A-F]{8}\\.Arn>\\/\\*$/" },
          { regex: "/^Resource::<SiteRevalidationTable[0-9A-F]{8}\\.Arn>\\/index\\/\\*$/" },
        ],
        reason: `${ofSite("The Next.js server function's grants")}: open-next's incremental cache reads and writes the site bucket and the revalidation table (and its index); SST grants them with aws-cdk-lib's read/write grants on those two resources only.`,
      },
      SYNC_NO_DLQ("CloudFront through its function URL"),
      {
        id: "Serverless-LambdaTracing",
        reason: `${ofSite("The Next.js server function")}, which has no tracing setting; the dashboard's data requests go to the API, whose function is traced.`,
      },
    ],
    true,
  );

  suppress(
    child(site, "ImageFunction"),
    [
      ...ownedFunction(ofSite("The image optimization function"), "SST"),
      SYNC_NO_DLQ("CloudFront through its function URL"),
      {
        id: "AwsSolutions-IAM5",
        appliesTo: [{ regex: "/^Resource::<SiteS3Bucket[0-9A-F]{8}\\.Arn>\\/\\*$/" }],
        reason: `${ofSite("The image optimization function")}: s3:GetObject on the site bucket's objects, whose names come from the build.`,
      },
    ],
    true,
  );

  suppress(
    child(site, "WarmerFunction"),
    [
      ...ownedFunction(ofSite("The warmer function"), "SST"),
      {
        id: "Serverless-LambdaDLQ",
        reason: `${ofSite("The warmer function")}: a failed warming run is superseded by the next one five minutes later.`,
      },
    ],
    true,
  );
  suppress(child(site, "WarmerRule"), [
    {
      id: "Serverless-EventBusDLQ",
      reason: `${ofSite("The warmer schedule")}: an undelivered tick is superseded by the next one five minutes later.`,
    },
  ]);

  suppress(child(site, "RevalidationQueue"), [
    {
      id: "AwsSolutions-SQS3",
      reason: `${ofSite("The revalidation queue")}: a lost revalidation message only delays one page's refresh until its next request, so there is nothing worth keeping in a dead-letter queue.`,
    },
    {
      id: "Serverless-SQSRedrivePolicy",
      reason: `${ofSite("The revalidation queue")}: a lost revalidation message only delays one page's refresh until its next request, so there is nothing worth keeping in a dead-letter queue.`,
    },
  ]);
  suppress(
    child(site, "RevalidationFunction"),
    [
      ...ownedFunction(ofSite("The revalidation function"), "SST"),
      {
        id: "Serverless-LambdaDefaultMemorySize",
        reason: `${ofSite("The revalidation function")}: NextjsSite offers no memory setting for it.`,
      },
      SYNC_NO_DLQ("an SQS event source mapping"),
      {
        id: "Serverless-LambdaEventSourceMappingDestination",
        reason: `${ofSite("The revalidation queue's event source mapping")}: a failed revalidation is retried from the queue and otherwise only delays one page's refresh.`,
      },
    ],
    true,
  );

  const distribution = siteCdk.distribution;
  suppress(distribution, [
    {
      id: "AwsSolutions-CFR1",
      reason: "The dashboard serves its users wherever they are: no country is excluded.",
    },
    {
      id: "AwsSolutions-CFR2",
      reason:
        "No WAF web ACL: the site holds no data of its own. Every data request goes to the HTTP API (which cannot take a WAF web ACL), where the Cognito JWT authorizer and per-stage throttling apply.",
    },
    {
      id: "AwsSolutions-CFR7",
      reason: `${ofSite("The S3 origin")}, which reads the site bucket through an origin access identity (OAI) rather than origin access control; the bucket blocks all public access and grants only that identity.`,
    },
  ]);
  if (!siteLogs) {
    suppress(distribution, [
      {
        id: "AwsSolutions-CFR3",
        reason: `CloudFront access logging is a production setting (stage-config.ts accessLogs), billed as log storage. Stage "${cfg.stage}" serves test users only.`,
      },
    ]);
  } else {
    suppress(siteLogs, [
      {
        id: "AwsSolutions-S1",
        reason:
          "This is the access-log bucket itself: logging its own access would need another log bucket, with logs of the log deliveries.",
      },
    ]);
  }
  // With a custom domain, SST requests the certificate through aws-cdk-lib's
  // DnsValidatedCertificate (a Lambda-backed custom resource in us-east-1).
  const certificate = cfg.web.domain ? site.node.tryFindChild("Certificate") : undefined;
  if (certificate) {
    const requestor =
      "aws-cdk-lib's DnsValidatedCertificate requestor (used by SST for the custom domain)";
    suppress(
      certificate,
      [
        {
          id: "AwsSolutions-IAM5",
          appliesTo: ["Resource::*"],
          reason: `${requestor}: acm:RequestCertificate and route53:GetChange cannot name a resource (certificates and changes get generated ids); its record changes are limited to UPSERTs of validation CNAMEs in the one hosted zone.`,
        },
        ...deployTimeFunction(requestor, "aws-cdk-lib"),
        {
          id: "Serverless-LambdaDefaultMemorySize",
          reason: `${requestor}: aws-cdk-lib offers no memory setting for it; it makes a few ACM and Route 53 calls per deployment.`,
        },
      ],
      true,
    );
  }
  if (!cfg.web.domain) {
    suppress(distribution, [
      {
        id: "AwsSolutions-CFR4",
        reason: `Stage "${cfg.stage}" has no custom domain (TICKSTREAM_SITE_DOMAIN), so CloudFront serves its default *.cloudfront.net certificate, whose TLS policy cannot be chosen. With a custom domain the distribution requires TLS 1.2 (TLSv1.2_2021).`,
      },
    ]);
  }

  // aws-cdk-lib's provider of the API CORS update (an AwsCustomResource singleton).
  if (corsUpdate) {
    const provider = child(Stack.of(corsUpdate), "AWS679f53fac002430cb0da5b7982bd2287");
    suppress(
      provider,
      deployTimeFunction(
        "aws-cdk-lib's AwsCustomResource provider (the API CORS update)",
        "aws-cdk-lib",
      ),
      true,
    );
  }
}
