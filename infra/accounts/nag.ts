/**
 * cdk-nag (AwsSolutions and Serverless rule packs) for the account-access app, and the findings
 * it accepts with their reasons. The deploy roles name every resource they may touch; the
 * wildcards left are parts of names that only exist at deploy time (the region a stage deploys
 * to, a stack's generated id, SST's bootstrap bucket suffix) or the stage pattern of previews.
 */
import { Aspects, type App } from "aws-cdk-lib";
import { AwsSolutionsChecks, NagSuppressions, ServerlessChecks } from "cdk-nag";
import type { DeployAccessStack } from "./deploy-access-stack.js";

/** Rule ids of the two packs (annotations start with the id). */
export const NAG_RULES = "(AwsSolutions|Serverless)-.*";

const ARN = "Resource::arn:<AWS::Partition>";
const ACCOUNT = "<AWS::AccountId>";
const regex = (pattern: string) => ({ regex: `/^${pattern}$/` });

/** Adds both rule packs and the accepted findings; call before synthesis. */
export function applyNagChecks(app: App, stack: DeployAccessStack): void {
  for (const role of Object.values(stack.roles)) {
    NagSuppressions.addResourceSuppressions(role, [
      {
        id: "AwsSolutions-IAM5",
        appliesTo: [regex(`${ARN}:cloudformation:\\*:${ACCOUNT}:stack\\/[^/]+\\/\\*`)],
        reason:
          "CloudFormation stack ARNs end in an id generated at creation, and a stage deploys to the region chosen at deploy time: the stack is named by its stage's prefix (for previews, the pr-* stages), SSTBootstrap or CDKToolkit; otherwise only region and id are open.",
      },
      {
        id: "AwsSolutions-IAM5",
        appliesTo: [
          regex(`${ARN}:iam::${ACCOUNT}:role\\/cdk-[a-z0-9]+-[a-z-]+-role-${ACCOUNT}-\\*`),
          regex(`${ARN}:s3:::cdk-[a-z0-9]+-assets-${ACCOUNT}-\\*\\/\\*`),
        ],
        reason:
          "The CDK bootstrap names its roles and asset bucket after the account and, last, the region: the wildcard stands for the region of the deploy. Objects of the asset bucket are read by their content hash.",
      },
      {
        id: "AwsSolutions-IAM5",
        appliesTo: [regex(`${ARN}:s3:::sstbootstrap-\\*(\\/.*)?`)],
        reason:
          "SST's bootstrap bucket is named 'sstbootstrap-' plus the region and a random suffix; listing and objects are limited to the stage's own app and stage metadata keys (for previews, the pr-* stages).",
      },
      {
        id: "AwsSolutions-IAM5",
        appliesTo: [regex(`${ARN}:ssm:\\*:${ACCOUNT}:parameter\\/.+`)],
        reason:
          "SST and CDK read their parameters in the region of the deploy (chosen at deploy time); the paths are the stage's own /sst/<app>/<stage> (for previews, the pr-* stages), the app's fallback values and the CDK bootstrap version.",
      },
      {
        id: "AwsSolutions-IAM5",
        appliesTo: ["Resource::*"],
        reason:
          "Only cloudformation:ListImports and cloudformation:ValidateTemplate, read-only calls that support no resource-level permissions.",
      },
    ]);
  }
  Aspects.of(app).add(new AwsSolutionsChecks({ reports: false }));
  Aspects.of(app).add(new ServerlessChecks({ reports: false }));
}
