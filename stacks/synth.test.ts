// `npm run synth -- --stage prod`, end to end, in a child process (offline, no credentials).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");

function run(args: string[]) {
  const env = { ...process.env };
  // No credentials and no region from the environment: synthesis must not need them.
  for (const k of [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_REGION",
  ]) {
    delete env[k];
  }
  return spawnSync(tsx, ["scripts/synth.ts", ...args], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 200_000,
  });
}

describe("npm run synth", () => {
  it("writes every stack's template for prod under .sst/synth/prod/", () => {
    const result = run(["--stage", "prod"]);
    expect(result.status, result.stderr).toBe(0);
    const dir = path.join(root, ".sst", "synth", "prod");
    const templates = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".template.json"))
      .sort();
    expect(templates).toEqual(
      ["Api", "Archive", "Auth", "Monitoring", "Storage", "Stream", "Web"].map(
        (s) => `prod-tickstream-${s}Stack.template.json`,
      ),
    );
    const types = (file: string) =>
      Object.values(
        (
          JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as {
            Resources: Record<string, { Type: string }>;
          }
        ).Resources,
      ).map((r) => r.Type);
    expect(
      types("prod-tickstream-StorageStack.template.json").filter(
        (t) => t === "AWS::DynamoDB::Table",
      ),
    ).toHaveLength(4);
    // Resource types each stack's template must hold (among others).
    const holds: Record<string, string[]> = {
      Stream: [
        "AWS::Kinesis::Stream",
        "AWS::Lambda::EventSourceMapping",
        "AWS::SQS::Queue",
        "AWS::Events::Rule",
      ],
      Archive: ["AWS::KinesisFirehose::DeliveryStream"],
      Api: ["AWS::ApiGatewayV2::Authorizer"],
      Auth: [
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::IdentityPool",
      ],
      Web: ["AWS::CloudFront::Distribution"],
      Monitoring: ["AWS::CloudWatch::Alarm"],
    };
    for (const [stack, wanted] of Object.entries(holds)) {
      expect(types(`prod-tickstream-${stack}Stack.template.json`), stack).toEqual(
        expect.arrayContaining(wanted),
      );
    }
    expect(result.stdout).toContain('Synthesized 7 stacks for stage "prod"');
  }, 240_000);

  it("prints the usage and fails on missing or bad flags", () => {
    for (const args of [[], ["--stage"], ["--stage", "bad_name"], ["--stage", "prod", "--what"]]) {
      const result = run(args);
      expect(result.status, args.join(" ")).toBe(2);
      expect(result.stderr).toContain("Usage: npm run synth -- --stage NAME");
    }
  }, 240_000);
});
