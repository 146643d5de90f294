// A personal stage ("alice" gets the dev defaults): everything is removed by `sst remove`.
import { describe, expect, it } from "vitest";
import { ApiStack } from "./ApiStack";
import { AuthStack } from "./AuthStack";
import { StorageStack } from "./StorageStack";
import { StreamStack } from "./StreamStack";
import { WebStack } from "./WebStack";
import { LAMBDA_RUNTIME } from "./functions";
import { LOCAL_ORIGINS } from "./stage-config";
import {
  functionEnv,
  nagFindings,
  resourceNamed,
  resourcesOf,
  synthStageForFile,
  wildcardGrants,
} from "../scripts/offline-synth/stage-templates";

const s = synthStageForFile("alice", { nag: true });

describe("removal (dev)", () => {
  it("deletes every resource of every stack when the stage is removed", () => {
    for (const [stack, t] of Object.entries(s.all())) {
      const retained = Object.entries(
        t.toJSON().Resources as Record<string, { DeletionPolicy?: string }>,
      )
        .filter(([, r]) => r.DeletionPolicy !== undefined && r.DeletionPolicy !== "Delete")
        .map(([id, r]) => `${id}: ${r.DeletionPolicy}`);
      expect(retained, stack).toEqual([]);
    }
  });

  it("deletes the data resources explicitly: tables, bucket, streams, queue, user pool", () => {
    const storage = s.template(StorageStack);
    for (const id of ["Latest", "Panes", "Windows", "State"]) {
      const [, table] = resourceNamed(storage, "AWS::DynamoDB::Table", `${id}Table`);
      expect(table.DeletionPolicy, id).toBe("Delete");
      expect(table.Properties!.PointInTimeRecoverySpecification).toEqual({
        PointInTimeRecoveryEnabled: false,
      });
      expect(table.Properties!.DeletionProtectionEnabled).toBe(false);
    }
    const streams = s.template(StreamStack);
    for (const r of Object.values(resourcesOf(streams, "AWS::Kinesis::Stream"))) {
      expect(r.DeletionPolicy).toBe("Delete");
    }
    expect(resourceNamed(streams, "AWS::SQS::Queue", "FailedBatches")[1].DeletionPolicy).toBe(
      "Delete",
    );
    const [, pool] = resourceNamed(s.template(AuthStack), "AWS::Cognito::UserPool", "AuthUserPool");
    expect(pool.DeletionPolicy).toBe("Delete");
    expect(pool.Properties!.DeletionProtection).toBe("INACTIVE");
  });

  it("empties the archive bucket before deleting it", () => {
    const t = s.template(StorageStack);
    const [bucketId, bucket] = resourceNamed(t, "AWS::S3::Bucket", "ArchiveBucket");
    expect(bucket.DeletionPolicy).toBe("Delete");
    const autoDelete = Object.values(resourcesOf(t, "Custom::S3AutoDeleteObjects"));
    expect(autoDelete).toHaveLength(1);
    expect(autoDelete[0]!.Properties!.BucketName).toEqual({ Ref: bucketId });
  });

  it("expires the archive after two weeks", () => {
    const [, bucket] = resourceNamed(s.template(StorageStack), "AWS::S3::Bucket", "ArchiveBucket");
    const rules = (
      bucket.Properties!.LifecycleConfiguration as { Rules: Record<string, unknown>[] }
    ).Rules;
    const raw = rules.find((r) => r.Id === "raw");
    expect(raw).toMatchObject({ Prefix: "raw/", ExpirationInDays: 14 });
    expect(raw!.Transitions).toBeUndefined();
  });
});

describe("settings (dev)", () => {
  it("lets anyone sign up", () => {
    const [, pool] = resourceNamed(s.template(AuthStack), "AWS::Cognito::UserPool", "AuthUserPool");
    expect(pool.Properties!.AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: false });
  });

  it("allows the local dashboard as a CORS origin, never '*'", () => {
    const [, api] = resourceNamed(s.template(ApiStack), "AWS::ApiGatewayV2::Api", "Api");
    const origins = (api.Properties!.CorsConfiguration as { AllowOrigins: string[] }).AllowOrigins;
    expect(origins).toEqual(LOCAL_ORIGINS);
    expect(origins).not.toContain("*");
  });

  it("logs at DEBUG level and keeps on-demand streams", () => {
    const streams = s.template(StreamStack);
    expect(functionEnv(streams, "PricesConsumerPricesLatestConsumer").POWERTOOLS_LOG_LEVEL).toBe(
      "DEBUG",
    );
    for (const r of Object.values(resourcesOf(streams, "AWS::Kinesis::Stream"))) {
      expect(r.Properties!.StreamModeDetails).toEqual({ StreamMode: "ON_DEMAND" });
    }
  });

  it("still grants no wildcard actions", () => {
    for (const [stack, t] of Object.entries(s.all())) expect(wildcardGrants(t), stack).toEqual([]);
  });

  it("names resources after the stage", () => {
    const [, server] = resourceNamed(
      s.template(WebStack),
      "AWS::Lambda::Function",
      "SitedefaultServerFunction",
    );
    expect(server.Properties!.Runtime).toBe(LAMBDA_RUNTIME);
    const [, latest] = resourceNamed(
      s.template(StorageStack),
      "AWS::DynamoDB::Table",
      "LatestTable",
    );
    expect(latest.Properties!.TableName).toBe("alice-tickstream-Latest");
  });
});

describe("security checks (dev)", () => {
  it("leaves no cdk-nag finding (AwsSolutions, Serverless) unfixed or unexplained in any stack", () => {
    // Production-only settings that cost money are off here; stacks/nag.ts says why per rule.
    expect(nagFindings(s.app)).toEqual([]);
  });

  it("keeps the production-only settings off: access logs, threat protection", () => {
    const storage = s.template(StorageStack);
    expect(Object.keys(resourcesOf(storage, "AWS::S3::Bucket"))).toEqual([
      expect.stringMatching(/^ArchiveBucket/),
    ]);
    const [, archive] = resourceNamed(storage, "AWS::S3::Bucket", "ArchiveBucket");
    expect(archive.Properties!.LoggingConfiguration).toBeUndefined();
    const [, distribution] = resourceNamed(
      s.template(WebStack),
      "AWS::CloudFront::Distribution",
      "Site",
    );
    expect((distribution.Properties!.DistributionConfig as { Logging?: unknown }).Logging).toBe(
      undefined,
    );
    const [, pool] = resourceNamed(s.template(AuthStack), "AWS::Cognito::UserPool", "AuthUserPool");
    expect(pool.Properties!.UserPoolAddOns).toBeUndefined();
    expect(pool.Properties!.UserPoolTier).toBeUndefined();
  });
});
