/**
 * The account-access CDK app: GitHub OIDC provider and deploy roles for one workload account
 * (deploy-access-stack.ts), plus the JSON of the CDK execution policy (execution-policy.ts).
 * Bootstrapping order and meaning: docs/delivery.md.
 *
 *   npx tsx infra/accounts/app.ts synth --repository acme/tickstream --deployers staging
 *   npx tsx infra/accounts/app.ts execution-policy --account 111122223333 --deployers staging
 *
 * `synth` writes infra/accounts/cdk.out/TickstreamDeployAccess.template.json, a template
 * without assets or bootstrap parameters, deployable with plain
 * `aws cloudformation deploy`. The app also runs under the CDK CLI
 * (`cdk deploy --app "npx tsx infra/accounts/app.ts" -c repository=... -c deployers=...`).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { App, DefaultStackSynthesizer } from "aws-cdk-lib";
import {
  parseDeployers,
  parseRepository,
  parseSubjectTemplate,
  DEFAULT_APP_NAME,
  DEFAULT_QUALIFIER,
} from "./config.js";
import { DeployAccessStack } from "./deploy-access-stack.js";
import { EXECUTION_POLICY_NAME, executionPolicy } from "./execution-policy.js";

export const STACK_NAME = "TickstreamDeployAccess";

export interface AccessSettings {
  repository?: string;
  deployers?: string;
  subjectTemplate?: string;
  appName?: string;
  qualifier?: string;
  existingProviderArn?: string;
}

/** Builds the app; the stack carries no assets, so it needs no CDK bootstrap of its own. */
export function buildApp(
  settings: AccessSettings,
  outdir?: string,
): { app: App; stack: DeployAccessStack } {
  const app = new App(outdir ? { outdir } : {});
  const ctx = (key: keyof AccessSettings) =>
    settings[key] ?? (app.node.tryGetContext(key) as string | undefined);
  const stack = new DeployAccessStack(app, STACK_NAME, {
    stackName: "tickstream-deploy-access",
    description: "GitHub Actions OIDC provider and Tickstream deploy roles",
    repository: parseRepository(ctx("repository")),
    deployers: parseDeployers(ctx("deployers")),
    subjectTemplate: parseSubjectTemplate(ctx("subjectTemplate")),
    appName: ctx("appName") ?? DEFAULT_APP_NAME,
    qualifier: ctx("qualifier") ?? DEFAULT_QUALIFIER,
    existingProviderArn: ctx("existingProviderArn") || undefined,
    synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
  });
  return { app, stack };
}

const USAGE = `usage:
  npx tsx infra/accounts/app.ts synth --repository OWNER/NAME --deployers LIST
      [--subject-template context-ref|default] [--existing-provider-arn ARN]
      [--app-name tickstream] [--qualifier hnb659fds] [--out DIR]
  npx tsx infra/accounts/app.ts execution-policy --account ID --deployers LIST
      [--partition aws] [--app-name tickstream] [--qualifier hnb659fds]

LIST is a comma-separated subset of preview, staging, prod (the deployers this account hosts).`;

export function main(argv: string[]): number {
  // Under the CDK CLI: settings come from -c context, output goes where the CLI says.
  if (process.env.CDK_OUTDIR) {
    buildApp({}).app.synth();
    return 0;
  }
  const [command, ...rest] = argv;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: rest,
      strict: true,
      options: {
        repository: { type: "string" },
        deployers: { type: "string" },
        "subject-template": { type: "string" },
        "existing-provider-arn": { type: "string" },
        "app-name": { type: "string" },
        qualifier: { type: "string" },
        out: { type: "string" },
        account: { type: "string" },
        partition: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const str = (k: string) => values[k] as string | undefined;
  if (values.help || command === "help" || command === "--help" || command === "-h") {
    console.log(USAGE);
    return 0;
  }
  try {
    if (command === "synth") {
      const out = str("out") ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "cdk.out");
      const { app } = buildApp(
        {
          repository: str("repository"),
          deployers: str("deployers"),
          subjectTemplate: str("subject-template"),
          existingProviderArn: str("existing-provider-arn"),
          appName: str("app-name"),
          qualifier: str("qualifier"),
        },
        out,
      );
      app.synth();
      console.log(path.join(out, `${STACK_NAME}.template.json`));
      return 0;
    }
    if (command === "execution-policy") {
      const doc = executionPolicy({
        account: str("account") ?? "",
        deployers: parseDeployers(str("deployers")),
        partition: str("partition"),
        appName: str("app-name"),
        qualifier: str("qualifier"),
      });
      console.log(JSON.stringify(doc.toJSON(), null, 2));
      console.error(
        `create it as: aws iam create-policy --policy-name ${EXECUTION_POLICY_NAME} --policy-document file://<this output>`,
      );
      return 0;
    }
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return 1;
  }
  console.error(`${command ? `unknown command "${command}"` : "missing command"}\n\n${USAGE}`);
  return 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
