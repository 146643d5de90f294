// Stage "staging" with a custom domain for the dashboard (TICKSTREAM_SITE_DOMAIN), as a shared
// pre-production account would deploy it.
import { describe, expect, it } from "vitest";
import { ApiStack } from "./ApiStack";
import { WebStack } from "./WebStack";
import { LOCAL_ORIGINS } from "./stage-config";
import {
  nagFindings,
  resourceNamed,
  resourcesOf,
  synthStageForFile,
} from "../scripts/offline-synth/stage-templates";

const s = synthStageForFile("staging", {
  nag: true,
  env: { TICKSTREAM_SITE_DOMAIN: "app.example.com" },
});

describe("custom domain (staging)", () => {
  it("serves the dashboard on its domain over TLS 1.2 or later only", () => {
    const [, distribution] = resourceNamed(
      s.template(WebStack),
      "AWS::CloudFront::Distribution",
      "Site",
    );
    const config = distribution.Properties!.DistributionConfig as Record<string, unknown>;
    expect(config.Aliases).toEqual(["app.example.com"]);
    expect(config.ViewerCertificate).toMatchObject({
      MinimumProtocolVersion: "TLSv1.2_2021",
      SslSupportMethod: "sni-only",
    });
  });

  it("allows the domain as a CORS origin from the start, with no update after deploy", () => {
    const [, api] = resourceNamed(s.template(ApiStack), "AWS::ApiGatewayV2::Api", "Api");
    expect((api.Properties!.CorsConfiguration as { AllowOrigins: string[] }).AllowOrigins).toEqual([
      "https://app.example.com",
      ...LOCAL_ORIGINS,
    ]);
    expect(resourcesOf(s.template(WebStack), "Custom::AWS")).toEqual({});
  });
});

describe("security checks (staging)", () => {
  it("leaves no cdk-nag finding (AwsSolutions, Serverless) unfixed or unexplained in any stack", () => {
    expect(nagFindings(s.app)).toEqual([]);
  });
});
