import { NextjsSite, use, type StackContext } from "sst/constructs";
import * as iam from "aws-cdk-lib/aws-iam";
import * as sqs from "aws-cdk-lib/aws-sqs";
import * as cr from "aws-cdk-lib/custom-resources";
import type { Construct } from "constructs";
import { ACCESS_LOG_PREFIXES, accessLogBucket } from "./access-logs";
import { ApiStack, CORS, staticCorsOrigins } from "./ApiStack";
import { AuthStack } from "./AuthStack";
import { LAMBDA_RUNTIME } from "./functions";
import { logRetentionOf, stageConfig } from "./stage-config";

export const SITE_PATH = "packages/web";

/**
 * NextjsSite's revalidation queue accepts any transport; refuse requests without TLS, as the
 * app's own queues do.
 */
function requireTlsOnRevalidationQueue(site: Construct): void {
  const queue = site.node.tryFindChild("RevalidationQueue");
  if (!(queue instanceof sqs.Queue)) return;
  queue.addToResourcePolicy(
    new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ["sqs:*"],
      resources: [queue.queueArn],
      conditions: { Bool: { "aws:SecureTransport": "false" } },
    }),
  );
}

/** The Next.js dashboard on CloudFront; its settings come from the other stacks. */
export function WebStack({ stack, app }: StackContext) {
  const cfg = stageConfig(app.stage);
  const { api } = use(ApiStack);
  const { auth } = use(AuthStack);
  const domain = cfg.web.domain;
  // CloudFront standard logs, on stages with access logs.
  const siteLogs = accessLogBucket(stack, "SiteAccessLogs", cfg, { aclDelivery: true });

  const site = new NextjsSite(stack, "Site", {
    path: SITE_PATH,
    runtime: LAMBDA_RUNTIME,
    memorySize: 1024,
    timeout: 20,
    customDomain: domain ? { domainName: domain.name, hostedZone: domain.hostedZone } : undefined,
    // Baked into the client bundle at build time and set on the server function; nothing is
    // edited by hand.
    environment: {
      NEXT_PUBLIC_API_URL: api.customDomainUrl ?? api.url,
      NEXT_PUBLIC_REGION: app.region,
      NEXT_PUBLIC_USER_POOL_ID: auth.userPoolId,
      NEXT_PUBLIC_USER_POOL_CLIENT_ID: auth.userPoolClientId,
      // The chart's one-minute maximum is drawn from panes of the same size as the back end's.
      NEXT_PUBLIC_WINDOW_SIZE_MS: String(cfg.windows.windowSizeMs),
      NEXT_PUBLIC_WINDOW_SLIDE_MS: String(cfg.windows.windowSlideMs),
      NEXT_TELEMETRY_DISABLED: "1",
    },
    dev: { url: "http://localhost:3000" },
    cdk: {
      server: { logRetention: logRetentionOf(cfg) },
      distribution: siteLogs
        ? { enableLogging: true, logBucket: siteLogs, logFilePrefix: ACCESS_LOG_PREFIXES.site }
        : {},
    },
  });
  requireTlsOnRevalidationQueue(site);

  // The API is deployed before the site exists, so it cannot name the site's origin (the site
  // needs the API URL first; referencing the site from ApiStack would be a dependency cycle).
  // Without a custom domain, this stack adds the CloudFront origin to the API's CORS once the
  // distribution exists. Its parameters include the API's own origins, so any CORS change in
  // ApiStack re-runs it in the same deploy.
  const siteUrl = site.customDomainUrl ?? site.url;
  let corsUpdate: cr.AwsCustomResource | undefined;
  if (siteUrl && !domain) {
    corsUpdate = new cr.AwsCustomResource(stack, "ApiCorsForSite", {
      onUpdate: {
        service: "ApiGatewayV2",
        action: "UpdateApi",
        parameters: {
          ApiId: api.httpApiId,
          CorsConfiguration: {
            AllowOrigins: [siteUrl, ...staticCorsOrigins(cfg)],
            AllowMethods: [...CORS.allowMethods],
            AllowHeaders: CORS.allowHeaders,
            AllowCredentials: false,
            MaxAge: CORS.maxAgeSeconds,
          },
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${app.stage}-api-cors`),
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ["apigateway:PATCH"], resources: [api.httpApiArn] }),
      ]),
      installLatestAwsSdk: false,
      logRetention: logRetentionOf(cfg),
      // Sized on purpose: Lambda's 128 MB default is slow to load the AWS SDK.
      memorySize: 256,
    });
  }

  stack.addOutputs({ SiteUrl: siteUrl ?? "http://localhost:3000" });

  return { site, siteLogs, corsUpdate };
}
