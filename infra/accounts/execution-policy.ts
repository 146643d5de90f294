import { PolicyDocument, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { DEFAULT_APP_NAME, DEFAULT_QUALIFIER, DEPLOYER_SPECS, type Deployer } from "./config.js";

/**
 * The policy of the CDK bootstrap's CloudFormation execution role, the role that actually
 * creates Tickstream's resources (`cdk bootstrap --cloudformation-execution-policies <ARN>`).
 * Instead of AdministratorAccess it allows the services Tickstream is built from, on resources
 * whose names start with the stage's stack prefix `<stage>-<app>-` (CloudFormation and SST
 * derive every generated name from the stack name) or, for SST's own bootstrap stack,
 * `SSTBootstrap-`. Services that address resources by generated id only (API Gateway, Cognito,
 * CloudFront, event source mappings, certificates) are allowed account-wide. It grants no IAM users, no
 * policies outside those prefixes and nothing in other services.
 *
 * It is a plain JSON policy created before `cdk bootstrap` (see docs/delivery.md), not part of
 * the deploy-access stack: the execution role must not be able to change its own policy.
 */
export interface ExecutionPolicyOptions {
  account: string;
  deployers: Deployer[];
  partition?: string;
  appName?: string;
  qualifier?: string;
}

export const EXECUTION_POLICY_NAME = "tickstream-cfn-execution";

export function executionPolicy(opts: ExecutionPolicyOptions): PolicyDocument {
  const { account } = opts;
  if (!/^\d{12}$/.test(account))
    throw new Error(`account must be a 12-digit AWS account id, got ${JSON.stringify(account)}`);
  const partition = opts.partition ?? "aws";
  const app = opts.appName ?? DEFAULT_APP_NAME;
  const qualifier = opts.qualifier ?? DEFAULT_QUALIFIER;
  const stages = [...new Set(opts.deployers.map((d) => DEPLOYER_SPECS[d].stagePattern))];
  const prefixes = [...stages.map((s) => `${s}-${app}-*`), "SSTBootstrap-*"];
  const arn = (service: string, resource: string, region = "*") =>
    `arn:${partition}:${service}:${region}:${account}:${resource}`;
  const named = (f: (prefix: string) => string[]) => prefixes.flatMap(f);

  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid: "StageResourcesByName",
        actions: [
          "kinesis:*",
          "firehose:*",
          "dynamodb:*",
          "lambda:*",
          "sqs:*",
          "sns:*",
          "events:*",
          "logs:*",
          "cloudwatch:*",
          "s3:*",
        ],
        resources: named((p) => [
          arn("kinesis", `stream/${p}`),
          arn("firehose", `deliverystream/${p}`),
          arn("dynamodb", `table/${p}`),
          arn("lambda", `function:${p}`),
          arn("sqs", p),
          arn("sns", p),
          arn("events", `rule/${p}`),
          arn("logs", `log-group:*${p}`),
          arn("cloudwatch", `alarm:${p}`),
          `arn:${partition}:s3:::${p.toLowerCase()}`,
        ]),
      }),
      new PolicyStatement({
        sid: "StageRoles",
        // Roles for the stage's functions and custom resources, named after its stacks.
        actions: [
          "iam:CreateRole",
          "iam:DeleteRole",
          "iam:GetRole",
          "iam:UpdateRole",
          "iam:UpdateRoleDescription",
          "iam:UpdateAssumeRolePolicy",
          "iam:TagRole",
          "iam:UntagRole",
          "iam:PutRolePolicy",
          "iam:GetRolePolicy",
          "iam:DeleteRolePolicy",
          "iam:AttachRolePolicy",
          "iam:DetachRolePolicy",
          "iam:ListRolePolicies",
          "iam:ListAttachedRolePolicies",
          "iam:PassRole",
        ],
        resources: named((p) => [`arn:${partition}:iam::${account}:role/${p}`]),
      }),
      new PolicyStatement({
        sid: "StageParameters",
        actions: ["ssm:*"],
        resources: stages.map((s) => arn("ssm", `parameter/sst/${app}/${s}/*`)),
      }),
      new PolicyStatement({
        sid: "ReadBootstrapVersionAndAssets",
        actions: [
          "ssm:GetParameter",
          "ssm:GetParameters",
          "s3:GetObject",
          "s3:ListBucket",
          "s3:GetBucketLocation",
        ],
        resources: [
          arn("ssm", `parameter/cdk-bootstrap/${qualifier}/version`),
          `arn:${partition}:s3:::cdk-${qualifier}-assets-${account}-*`,
        ],
      }),
      new PolicyStatement({
        sid: "ServicesAddressedById",
        // API Gateway, Cognito and CloudFront name resources by generated ids, and event source
        // mappings by UUID: there is no stage prefix to scope them by.
        actions: [
          "apigateway:*",
          "cognito-idp:*",
          "cloudfront:*",
          "lambda:CreateEventSourceMapping",
          "lambda:GetEventSourceMapping",
          "lambda:UpdateEventSourceMapping",
          "lambda:DeleteEventSourceMapping",
          "lambda:ListEventSourceMappings",
          "logs:DescribeLogGroups",
          "cloudwatch:DescribeAlarms",
          "kinesis:ListStreams",
          "firehose:ListDeliveryStreams",
        ],
        resources: ["*"],
      }),
      new PolicyStatement({
        sid: "CustomDomains",
        // Only used when a stage has a custom domain (TICKSTREAM_SITE_DOMAIN): its certificate
        // and DNS records. Certificates too are addressed by generated id.
        actions: [
          "acm:RequestCertificate",
          "acm:DescribeCertificate",
          "acm:DeleteCertificate",
          "acm:AddTagsToCertificate",
          "acm:ListTagsForCertificate",
          "route53:GetHostedZone",
          "route53:ListHostedZonesByName",
          "route53:ListResourceRecordSets",
          "route53:ChangeResourceRecordSets",
          "route53:GetChange",
        ],
        resources: ["*"],
      }),
    ],
  });
}
