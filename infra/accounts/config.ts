/**
 * Who may deploy what, from GitHub Actions, into an AWS account. One account hosts one or more
 * deployers; each deployer is one IAM role trusted by one kind of workflow run:
 *
 * | deployer | SST stages | GitHub run it trusts (workflow)                        |
 * | -------- | ---------- | ------------------------------------------------------ |
 * | preview  | pr-*       | pull_request events (pull-request.yml, no environment) |
 * | staging  | staging    | environment `staging`, branch main (deploy.yml)        |
 * | prod     | prod       | environment `prod`, tags v* (deploy.yml)               |
 */

export const DEPLOYERS = ["preview", "staging", "prod"] as const;
export type Deployer = (typeof DEPLOYERS)[number];

/**
 * Which claims GitHub puts in the OIDC token's `sub`.
 *
 * - `context-ref` (recommended): the repository's subject template is customized to
 *   `["repo", "context", "ref"]`, so the subject names both the environment and the git ref,
 *   e.g. `repo:acme/tickstream:environment:prod:ref:refs/tags/v1.4.0`, and the role itself
 *   checks that prod is deployed from a v* tag.
 * - `default`: GitHub's default template. A job in an environment then gets
 *   `repo:acme/tickstream:environment:prod` (no ref), so the branch/tag restriction rests on
 *   the environment's deployment branch and tag rules in GitHub.
 */
export type SubjectTemplate = "context-ref" | "default";

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_URL = `https://${GITHUB_OIDC_HOST}`;
export const STS_AUDIENCE = "sts.amazonaws.com";
/** The CDK bootstrap qualifier `cdk bootstrap` uses unless told otherwise. */
export const DEFAULT_QUALIFIER = "hnb659fds";
/** The SST app name (sst.config.ts); SST names every stack `<stage>-<app>-<stack id>`. */
export const DEFAULT_APP_NAME = "tickstream";

export interface DeployerSpec {
  /** SST stage name, or a pattern of them (IAM wildcard), that this deployer may touch. */
  stagePattern: string;
  /** GitHub environment the deploy job runs in, if any. */
  environment?: string;
  /** Git ref (IAM wildcard) the run must come from under the `context-ref` template. */
  refPattern: string;
  /** Whether the role may delete the stage's stacks (`sst remove`). */
  mayRemove: boolean;
}

export const DEPLOYER_SPECS: Record<Deployer, DeployerSpec> = {
  preview: { stagePattern: "pr-*", refPattern: "refs/pull/*/merge", mayRemove: true },
  staging: {
    stagePattern: "staging",
    environment: "staging",
    refPattern: "refs/heads/main",
    mayRemove: true,
  },
  // Production keeps its data and its stacks: removing prod is a deliberate act by an
  // administrator, never something a workflow can do.
  prod: { stagePattern: "prod", environment: "prod", refPattern: "refs/tags/v*", mayRemove: false },
};

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** Checks "owner/name"; GitHub's subject claims carry it verbatim. */
export function parseRepository(value: string | undefined): string {
  if (!value || !REPOSITORY.test(value)) {
    throw new Error(`repository must be "owner/name", got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Parses "staging" or "preview,staging" into a list of known deployers, without repeats. */
export function parseDeployers(value: string | undefined): Deployer[] {
  const items = (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0)
    throw new Error(`deployers must list one or more of ${DEPLOYERS.join(", ")}`);
  for (const item of items) {
    if (!(DEPLOYERS as readonly string[]).includes(item)) {
      throw new Error(`unknown deployer "${item}" (known: ${DEPLOYERS.join(", ")})`);
    }
  }
  return [...new Set(items)] as Deployer[];
}

export function parseSubjectTemplate(value: string | undefined): SubjectTemplate {
  if (value === undefined || value === "" || value === "context-ref") return "context-ref";
  if (value === "default") return "default";
  throw new Error(
    `subject template must be "context-ref" or "default", got ${JSON.stringify(value)}`,
  );
}

/** The `sub` pattern (StringLike) a deployer's role accepts. */
export function subjectPattern(
  repository: string,
  deployer: Deployer,
  template: SubjectTemplate,
): string {
  const spec = DEPLOYER_SPECS[deployer];
  const context = spec.environment ? `environment:${spec.environment}` : "pull_request";
  return template === "context-ref"
    ? `repo:${repository}:${context}:ref:${spec.refPattern}`
    : `repo:${repository}:${context}`;
}

/** Name of a deployer's role: predictable, so the ARN can be written down before it exists. */
export function roleName(appName: string, deployer: Deployer): string {
  return `${appName}-deploy-${deployer}`;
}
