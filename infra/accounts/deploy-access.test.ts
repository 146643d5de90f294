import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Aspects } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { afterAll, describe, expect, it } from "vitest";
import { buildApp, main, STACK_NAME } from "./app.js";
import {
  parseDeployers,
  parseRepository,
  parseSubjectTemplate,
  subjectPattern,
  type Deployer,
} from "./config.js";
import { EXECUTION_POLICY_NAME, executionPolicy } from "./execution-policy.js";
import { applyNagChecks, NAG_RULES } from "./nag.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Renders CloudFormation's Fn::Join / Ref as a readable string: ${AWS::AccountId} and so on. */
function flat(value: Json): Json {
  if (Array.isArray(value)) return value.map(flat);
  if (value && typeof value === "object") {
    if ("Fn::Join" in value)
      return (value["Fn::Join"][1] as Json[]).map(flat).join(value["Fn::Join"][0]);
    if ("Ref" in value && Object.keys(value).length === 1) return `\${${value.Ref}}`;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, flat(v)]));
  }
  return value;
}

const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function templateFor(deployers: string, extra: Record<string, string> = {}): Template {
  const { stack } = buildApp({ repository: "acme/tickstream", deployers, ...extra });
  return Template.fromStack(stack);
}

function roles(template: Template): Record<string, Json> {
  const byName: Record<string, Json> = {};
  for (const r of Object.values<Json>(template.findResources("AWS::IAM::Role"))) {
    byName[r.Properties.RoleName] = flat(r.Properties);
  }
  return byName;
}

const all = templateFor("preview,staging,prod");
const allRoles = roles(all);

describe("GitHub OIDC provider", () => {
  it("is token.actions.githubusercontent.com with audience sts.amazonaws.com", () => {
    all.resourceCountIs("AWS::IAM::OIDCProvider", 1);
    all.hasResourceProperties("AWS::IAM::OIDCProvider", {
      Url: "https://token.actions.githubusercontent.com",
      ClientIdList: ["sts.amazonaws.com"],
    });
  });

  it("is reused when the account already has one", () => {
    const t = templateFor("staging", {
      existingProviderArn:
        "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
    });
    t.resourceCountIs("AWS::IAM::OIDCProvider", 0);
    const trust = Object.values(roles(t))[0].AssumeRolePolicyDocument.Statement[0];
    expect(trust.Principal.Federated).toBe(
      "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
    );
  });
});

describe("deploy roles: trust", () => {
  const expected: Record<Deployer, string> = {
    preview: "repo:acme/tickstream:pull_request:ref:refs/pull/*/merge",
    staging: "repo:acme/tickstream:environment:staging:ref:refs/heads/main",
    prod: "repo:acme/tickstream:environment:prod:ref:refs/tags/v*",
  };

  it("one role per deployer, with a predictable name and output", () => {
    expect(Object.keys(allRoles).sort()).toEqual([
      "tickstream-deploy-preview",
      "tickstream-deploy-prod",
      "tickstream-deploy-staging",
    ]);
    for (const d of ["preview", "staging", "prod"]) all.hasOutput(`DeployRoleArn${d}`, {});
  });

  it.each(Object.entries(expected))(
    "%s: only the repository, from the right event/environment and ref",
    (deployer, sub) => {
      const role = allRoles[`tickstream-deploy-${deployer}`];
      const statements = role.AssumeRolePolicyDocument.Statement;
      expect(statements).toHaveLength(1);
      const [trust] = statements;
      expect(trust.Effect).toBe("Allow");
      expect(trust.Action).toBe("sts:AssumeRoleWithWebIdentity");
      expect(trust.Principal).toEqual({ Federated: "${GithubOidc86785739}" });
      expect(trust.Condition).toEqual({
        StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
        StringLike: { "token.actions.githubusercontent.com:sub": sub },
      });
      expect(role.MaxSessionDuration).toBe(3600);
    },
  );

  it("the subject pattern admits the runs it should and refuses the others", () => {
    const like = (pattern: string, value: string) =>
      new RegExp(
        `^${pattern
          .split("*")
          .map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
          .join(".*")}$`,
      ).test(value);
    const staging = expected.staging;
    expect(like(staging, "repo:acme/tickstream:environment:staging:ref:refs/heads/main")).toBe(
      true,
    );
    expect(like(staging, "repo:acme/tickstream:environment:staging:ref:refs/heads/feature")).toBe(
      false,
    );
    expect(like(staging, "repo:acme/tickstream-fork:environment:staging:ref:refs/heads/main")).toBe(
      false,
    );
    expect(like(staging, "repo:acme/tickstream:pull_request:ref:refs/pull/3/merge")).toBe(false);
    const prod = expected.prod;
    expect(like(prod, "repo:acme/tickstream:environment:prod:ref:refs/tags/v1.2.3")).toBe(true);
    expect(like(prod, "repo:acme/tickstream:environment:prod:ref:refs/heads/main")).toBe(false);
    expect(like(prod, "repo:acme/tickstream:environment:staging:ref:refs/tags/v1.2.3")).toBe(false);
    expect(like(prod, "repo:acme/tickstream:ref:refs/tags/v1.2.3")).toBe(false);
    const preview = expected.preview;
    expect(like(preview, "repo:acme/tickstream:pull_request:ref:refs/pull/42/merge")).toBe(true);
    expect(like(preview, "repo:acme/tickstream:environment:prod:ref:refs/tags/v1")).toBe(false);
    expect(like(preview, "repo:other/tickstream:pull_request:ref:refs/pull/42/merge")).toBe(false);
  });

  it("with GitHub's default subject template, trusts the environment (or pull_request) of the repository", () => {
    const t = roles(templateFor("preview,staging,prod", { subjectTemplate: "default" }));
    const sub = (d: string) =>
      t[`tickstream-deploy-${d}`].AssumeRolePolicyDocument.Statement[0].Condition.StringLike[
        "token.actions.githubusercontent.com:sub"
      ];
    expect(sub("staging")).toBe("repo:acme/tickstream:environment:staging");
    expect(sub("prod")).toBe("repo:acme/tickstream:environment:prod");
    expect(sub("preview")).toBe("repo:acme/tickstream:pull_request");
  });

  it("never trusts a wildcard repository or subject", () => {
    for (const role of Object.values(allRoles)) {
      const sub: string =
        role.AssumeRolePolicyDocument.Statement[0].Condition.StringLike[
          "token.actions.githubusercontent.com:sub"
        ];
      expect(sub.startsWith("repo:acme/tickstream:")).toBe(true);
      expect(sub).not.toMatch(/^repo:[^:]*\*/);
      expect(sub.endsWith(":*")).toBe(false);
    }
  });
});

describe("deploy roles: permissions", () => {
  const statementsOf = (name: string): Json[] =>
    allRoles[name].Policies.flatMap((p: Json) => p.PolicyDocument.Statement);

  it("no admin: no Action '*', no service-wide '*' except read-only CloudFormation calls, no managed policies", () => {
    for (const [name, role] of Object.entries(allRoles)) {
      expect(role.ManagedPolicyArns, name).toBeUndefined();
      for (const s of statementsOf(name)) {
        expect(s.Effect).toBe("Allow");
        for (const action of asList<string>(s.Action)) {
          expect(action).not.toBe("*");
          expect(action).not.toMatch(/:\*$/);
          expect(action).not.toMatch(/^iam:(Create|Put|Attach|Update)/);
        }
        if (asList(s.Resource).includes("*")) {
          expect(asList(s.Action).sort()).toEqual([
            "cloudformation:ListImports",
            "cloudformation:ValidateTemplate",
          ]);
        }
      }
    }
    // And the stack as a whole holds no policy outside the roles.
    all.resourceCountIs("AWS::IAM::Policy", 0);
    all.resourceCountIs("AWS::IAM::ManagedPolicy", 0);
  });

  it("assume the CDK bootstrap roles of this account only", () => {
    const s = statementsOf("tickstream-deploy-staging").find(
      (x) => x.Sid === "AssumeCdkBootstrapRoles",
    );
    expect(asList(s.Resource)).toEqual([
      "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-deploy-role-${AWS::AccountId}-*",
      "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-file-publishing-role-${AWS::AccountId}-*",
      "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-lookup-role-${AWS::AccountId}-*",
    ]);
  });

  it("pass only the CDK execution role, and only to CloudFormation", () => {
    const pass = statementsOf("tickstream-deploy-staging").filter((x) =>
      asList(x.Action).includes("iam:PassRole"),
    );
    expect(pass).toHaveLength(1);
    expect(pass[0].Resource).toBe(
      "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-*",
    );
    expect(pass[0].Condition).toEqual({
      StringEquals: { "iam:PassedToService": "cloudformation.amazonaws.com" },
    });
  });

  it("touch only their own stage's stacks, SST parameters and metadata", () => {
    const stacks = (name: string) => statementsOf(name).find((x) => x.Sid === "StageStacks");
    expect(stacks("tickstream-deploy-staging").Resource).toBe(
      "arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/staging-tickstream-*/*",
    );
    expect(stacks("tickstream-deploy-preview").Resource).toBe(
      "arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/pr-*-tickstream-*/*",
    );
    expect(stacks("tickstream-deploy-prod").Resource).toBe(
      "arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/prod-tickstream-*/*",
    );
    const ssm = statementsOf("tickstream-deploy-prod").find((x) => x.Sid === "SstAndCdkParameters");
    expect(ssm.Action).toEqual([
      "ssm:GetParameter",
      "ssm:GetParameters",
      "ssm:GetParametersByPath",
    ]);
    for (const r of asList<string>(ssm.Resource))
      expect(r).toMatch(
        /:parameter\/(sst\/tickstream\/(prod|\.fallback)|cdk-bootstrap\/hnb659fds\/version)/,
      );
    const meta = statementsOf("tickstream-deploy-preview").find(
      (x) => x.Sid === "SstMetadataObjects",
    );
    expect(asList(meta.Resource)).toEqual([
      "arn:${AWS::Partition}:s3:::sstbootstrap-*/appMetadata/app.tickstream/stage.pr-*.json",
      "arn:${AWS::Partition}:s3:::sstbootstrap-*/stackMetadata/app.tickstream/stage.pr-*/*",
    ]);
  });

  it("prod's role cannot remove the prod stage; staging's and previews' can", () => {
    const canDelete = (name: string) =>
      statementsOf(name).some((s) => asList(s.Action).includes("cloudformation:DeleteStack"));
    expect(canDelete("tickstream-deploy-prod")).toBe(false);
    expect(canDelete("tickstream-deploy-staging")).toBe(true);
    expect(canDelete("tickstream-deploy-preview")).toBe(true);
  });

  it("an account hosting only staging gets only the staging role", () => {
    expect(Object.keys(roles(templateFor("staging")))).toEqual(["tickstream-deploy-staging"]);
  });
});

describe("deploy roles: security checks", () => {
  const findingsOf = (withSuppressions: boolean) => {
    const { app, stack } = buildApp({
      repository: "acme/tickstream",
      deployers: "preview,staging,prod",
    });
    if (withSuppressions) applyNagChecks(app, stack);
    else {
      Aspects.of(app).add(new AwsSolutionsChecks({ reports: false }));
      Aspects.of(app).add(new ServerlessChecks({ reports: false }));
    }
    const annotations = Annotations.fromStack(stack);
    const rule = Match.stringLikeRegexp(NAG_RULES);
    return [...annotations.findError("*", rule), ...annotations.findWarning("*", rule)].map(
      (m) => `${m.id}: ${String(m.entry.data).split("\n")[0]}`,
    );
  };

  it("leave no cdk-nag finding (AwsSolutions, Serverless) unexplained", () => {
    expect(findingsOf(true)).toEqual([]);
  });

  it("would be flagged without the recorded reasons (the packs do check these roles)", () => {
    const findings = findingsOf(false);
    for (const deployer of ["preview", "staging", "prod"]) {
      expect(
        findings.some((f) => f.includes(`/Deploy-${deployer}/`) && f.includes("AwsSolutions-IAM5")),
      ).toBe(true);
    }
  });
});

describe("CDK execution policy", () => {
  const doc = executionPolicy({ account: "111122223333", deployers: ["staging"] }).toJSON() as Json;
  const statements: Json[] = doc.Statement;

  it("is a plain policy that fits IAM's managed-policy size limit", () => {
    expect(doc.Version).toBe("2012-10-17");
    expect(EXECUTION_POLICY_NAME).toBe("tickstream-cfn-execution");
    for (const deployers of [
      ["staging"],
      ["prod"],
      ["preview"],
      ["preview", "staging", "prod"],
    ] as Deployer[][]) {
      const json = JSON.stringify(executionPolicy({ account: "111122223333", deployers }).toJSON());
      expect(json.length).toBeLessThan(6144);
    }
  });

  it("has no Action '*' and no IAM beyond the stage's own roles", () => {
    for (const s of statements) {
      for (const action of asList<string>(s.Action)) {
        expect(action).not.toBe("*");
        expect(action).not.toBe("iam:*");
        if (action.startsWith("iam:")) expect(s.Sid).toBe("StageRoles");
      }
    }
    const iamStatement = statements.find((s) => s.Sid === "StageRoles");
    expect(asList(iamStatement.Resource)).toEqual([
      "arn:aws:iam::111122223333:role/staging-tickstream-*",
      "arn:aws:iam::111122223333:role/SSTBootstrap-*",
    ]);
  });

  it("scopes named resources to the stage prefix", () => {
    const named = statements.find((s) => s.Sid === "StageResourcesByName");
    for (const r of asList<string>(named.Resource))
      expect(r).toMatch(/(staging-tickstream-\*|SSTBootstrap-\*|sstbootstrap-\*)$/);
    expect(asList(named.Resource)).toContain(
      "arn:aws:kinesis:*:111122223333:stream/staging-tickstream-*",
    );
    expect(asList(named.Resource)).toContain("arn:aws:s3:::staging-tickstream-*");
  });

  it("refuses a malformed account id", () => {
    expect(() => executionPolicy({ account: "12", deployers: ["prod"] })).toThrow(/12-digit/);
  });
});

describe("settings and command line", () => {
  it("validate the repository, deployers and subject template", () => {
    expect(parseRepository("acme/tickstream")).toBe("acme/tickstream");
    expect(() => parseRepository("acme/*")).toThrow();
    expect(() => parseRepository(undefined)).toThrow();
    expect(parseDeployers("staging, preview,staging")).toEqual(["staging", "preview"]);
    expect(() => parseDeployers("qa")).toThrow(/unknown deployer/);
    expect(() => parseDeployers("")).toThrow();
    expect(parseSubjectTemplate(undefined)).toBe("context-ref");
    expect(() => parseSubjectTemplate("custom")).toThrow();
    expect(subjectPattern("a/b", "prod", "context-ref")).toBe(
      "repo:a/b:environment:prod:ref:refs/tags/v*",
    );
  });

  const out = mkdtempSync(path.join(tmpdir(), "accounts-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("synth writes a template deployable without CDK bootstrap", () => {
    const quiet = { log: console.log };
    console.log = () => {};
    try {
      expect(
        main(["synth", "--repository", "acme/tickstream", "--deployers", "prod", "--out", out]),
      ).toBe(0);
    } finally {
      console.log = quiet.log;
    }
    const template = JSON.parse(
      readFileSync(path.join(out, `${STACK_NAME}.template.json`), "utf8"),
    );
    expect(template.Parameters?.BootstrapVersion).toBeUndefined();
    expect(template.Rules).toBeUndefined();
    const types = Object.values<Json>(template.Resources)
      .map((r) => r.Type)
      .sort();
    expect(types).toEqual(["AWS::IAM::OIDCProvider", "AWS::IAM::Role"]);
  });

  it("bad flags or commands exit non-zero", () => {
    const quiet = { error: console.error };
    console.error = () => {};
    try {
      expect(main(["synth", "--nope"])).toBe(2);
      expect(main(["deploy"])).toBe(2);
      expect(
        main(["synth", "--repository", "acme/tickstream", "--deployers", "qa", "--out", out]),
      ).toBe(1);
      expect(main(["execution-policy", "--deployers", "prod"])).toBe(1);
    } finally {
      console.error = quiet.error;
    }
  });
});
