import { Aws, CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import {
  OidcProviderNative,
  PolicyDocument,
  PolicyStatement,
  Role,
  WebIdentityPrincipal,
  type IOidcProvider,
} from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import {
  DEFAULT_APP_NAME,
  DEFAULT_QUALIFIER,
  DEPLOYER_SPECS,
  GITHUB_OIDC_HOST,
  GITHUB_OIDC_URL,
  STS_AUDIENCE,
  roleName,
  subjectPattern,
  type Deployer,
  type SubjectTemplate,
} from "./config.js";

export interface DeployAccessProps extends StackProps {
  /** GitHub repository, "owner/name". */
  repository: string;
  /** The deployers this account hosts (one role each). */
  deployers: Deployer[];
  subjectTemplate?: SubjectTemplate;
  /** SST app name (stack names are `<stage>-<app>-<id>`). */
  appName?: string;
  /** CDK bootstrap qualifier of the account. */
  qualifier?: string;
  /**
   * ARN of an OIDC provider for token.actions.githubusercontent.com that already exists in the
   * account (IAM allows one per URL); when absent the stack creates it.
   */
  existingProviderArn?: string;
}

/**
 * What GitHub Actions needs in one workload account: the GitHub OIDC identity provider and,
 * per deployer, a role that only runs of the right repository, event, environment and ref can
 * assume, holding only what `sst deploy` / `sst remove` need. Everything else a deploy does
 * (creating tables, functions, roles, ...) happens through CloudFormation under the CDK
 * bootstrap's execution role, whose policy is `execution-policy.ts`.
 */
export class DeployAccessStack extends Stack {
  readonly provider: IOidcProvider;
  readonly roles: Partial<Record<Deployer, Role>> = {};

  constructor(scope: Construct, id: string, props: DeployAccessProps) {
    super(scope, id, props);
    const appName = props.appName ?? DEFAULT_APP_NAME;
    const qualifier = props.qualifier ?? DEFAULT_QUALIFIER;
    const template = props.subjectTemplate ?? "context-ref";

    this.provider = props.existingProviderArn
      ? OidcProviderNative.fromOidcProviderArn(this, "GithubOidc", props.existingProviderArn)
      : new OidcProviderNative(this, "GithubOidc", {
          url: GITHUB_OIDC_URL,
          clientIds: [STS_AUDIENCE],
          // No thumbprints: IAM verifies GitHub's certificate chain itself.
        });
    new CfnOutput(this, "GithubOidcProviderArn", { value: this.provider.oidcProviderArn });

    for (const deployer of props.deployers) {
      const role = new Role(this, `Deploy-${deployer}`, {
        roleName: roleName(appName, deployer),
        description: `GitHub Actions (${props.repository}) deploys SST stage ${DEPLOYER_SPECS[deployer].stagePattern} of ${appName}`,
        maxSessionDuration: Duration.hours(1),
        assumedBy: new WebIdentityPrincipal(this.provider.oidcProviderArn, {
          StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: STS_AUDIENCE },
          StringLike: {
            [`${GITHUB_OIDC_HOST}:sub`]: subjectPattern(props.repository, deployer, template),
          },
        }),
        inlinePolicies: { deploy: deployPolicy({ deployer, appName, qualifier }) },
      });
      this.roles[deployer] = role;
      new CfnOutput(this, `DeployRoleArn-${deployer}`, {
        value: role.roleArn,
        description: `GitHub variable AWS_DEPLOY_ROLE_ARN for ${deployer}`,
      });
    }
  }
}

const ACCOUNT = Aws.ACCOUNT_ID;
const PARTITION = Aws.PARTITION;

/**
 * What the SST v2 command line does with the caller's own credentials during `sst deploy` and
 * `sst remove` (read from sst 2.49.8): it calls CloudFormation directly (CreateStack,
 * UpdateStack, DeleteStack, Describe*) passing the CDK execution role, publishes assets
 * through the CDK file-publishing role, resolves the environment through the CDK deploy role,
 * reads its bootstrap stacks, keeps app metadata in the SST bootstrap bucket and reads
 * parameters under /sst/<app>/<stage>/.
 */
export function deployPolicy(opts: {
  deployer: Deployer;
  appName: string;
  qualifier: string;
}): PolicyDocument {
  const { deployer, appName, qualifier } = opts;
  const spec = DEPLOYER_SPECS[deployer];
  const stage = spec.stagePattern;
  const iamRole = (name: string) => `arn:${PARTITION}:iam::${ACCOUNT}:role/${name}`;
  const cfnStack = (name: string) => `arn:${PARTITION}:cloudformation:*:${ACCOUNT}:stack/${name}/*`;
  const parameter = (name: string) => `arn:${PARTITION}:ssm:*:${ACCOUNT}:parameter${name}`;
  const bootstrapRole = (kind: string) => iamRole(`cdk-${qualifier}-${kind}-role-${ACCOUNT}-*`);

  const stackActions = [
    "cloudformation:CreateStack",
    "cloudformation:UpdateStack",
    "cloudformation:DescribeStacks",
    "cloudformation:DescribeStackEvents",
    "cloudformation:DescribeStackResource",
    "cloudformation:DescribeStackResources",
    "cloudformation:ListStackResources",
    "cloudformation:GetTemplate",
    "cloudformation:GetTemplateSummary",
  ];

  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid: "AssumeCdkBootstrapRoles",
        actions: ["sts:AssumeRole", "sts:TagSession"],
        resources: ["deploy", "file-publishing", "lookup"].map(bootstrapRole),
      }),
      new PolicyStatement({
        sid: "StageStacks",
        actions: spec.mayRemove ? [...stackActions, "cloudformation:DeleteStack"] : stackActions,
        resources: [cfnStack(`${stage}-${appName}-*`)],
      }),
      new PolicyStatement({
        sid: "SstBootstrapStack",
        actions: stackActions,
        resources: [cfnStack("SSTBootstrap")],
      }),
      new PolicyStatement({
        sid: "CdkBootstrapStack",
        actions: ["cloudformation:DescribeStacks"],
        resources: [cfnStack("CDKToolkit")],
      }),
      new PolicyStatement({
        sid: "CloudFormationReadOnlyWithoutResource",
        // Neither action supports resource-level permissions.
        actions: ["cloudformation:ListImports", "cloudformation:ValidateTemplate"],
        resources: ["*"],
      }),
      new PolicyStatement({
        sid: "PassCdkExecutionRole",
        actions: ["iam:PassRole"],
        resources: [bootstrapRole("cfn-exec")],
        conditions: { StringEquals: { "iam:PassedToService": "cloudformation.amazonaws.com" } },
      }),
      new PolicyStatement({
        sid: "ReadTemplatesFromCdkAssets",
        // CloudFormation fetches TemplateURL with the caller's permissions.
        actions: ["s3:GetObject"],
        resources: [`arn:${PARTITION}:s3:::cdk-${qualifier}-assets-${ACCOUNT}-*/*`],
      }),
      new PolicyStatement({
        sid: "SstMetadataList",
        actions: ["s3:ListBucket"],
        resources: [`arn:${PARTITION}:s3:::sstbootstrap-*`],
        conditions: {
          StringLike: { "s3:prefix": [`stackMetadata/app.${appName}/stage.${stage}/*`] },
        },
      }),
      new PolicyStatement({
        sid: "SstMetadataObjects",
        actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        resources: [
          `arn:${PARTITION}:s3:::sstbootstrap-*/appMetadata/app.${appName}/stage.${stage}.json`,
          `arn:${PARTITION}:s3:::sstbootstrap-*/stackMetadata/app.${appName}/stage.${stage}/*`,
        ],
      }),
      new PolicyStatement({
        sid: "SstAndCdkParameters",
        actions: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
        resources: [
          parameter(`/sst/${appName}/${stage}`),
          parameter(`/sst/${appName}/${stage}/*`),
          parameter(`/sst/${appName}/.fallback`),
          parameter(`/sst/${appName}/.fallback/*`),
          parameter(`/cdk-bootstrap/${qualifier}/version`),
        ],
      }),
    ],
  });
}
