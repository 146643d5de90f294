// Pure settings; no App is built here.
import { describe, expect, it } from "vitest";
import { WINDOW_DEFAULTS } from "@tickstream/core/config";
import { LOCAL_ORIGINS, stageConfig, stageKind, windowEnvironment } from "./stage-config";
import { staticCorsOrigins } from "./ApiStack";

describe("stage config", () => {
  it.each([
    ["prod", "prod"],
    ["staging", "staging"],
    ["pr-123", "preview"],
    ["production", "dev"],
    ["alice", "dev"],
  ])("classifies stage %s as %s", (stage, kind) => {
    expect(stageKind(stage)).toBe(kind);
  });

  it("retains data only in prod", () => {
    for (const stage of ["staging", "pr-1", "dev", "alice"]) {
      const c = stageConfig(stage, {});
      expect(c, stage).toMatchObject({
        retainData: false,
        removalPolicy: "destroy",
        pointInTimeRecovery: false,
      });
    }
    expect(stageConfig("prod", {})).toMatchObject({
      retainData: true,
      removalPolicy: "retain",
      pointInTimeRecovery: true,
      deletionProtection: true,
      auth: { selfSignUp: false },
      streams: { mode: "on-demand" },
    });
  });

  it.each([
    ["prod", false],
    ["staging", false],
    ["pr-9", true],
    ["bob", true],
  ])("turns self sign-up off in prod and staging only: %s %s", (stage, selfSignUp) => {
    expect(stageConfig(stage, {}).auth.selfSignUp).toBe(selfSignUp);
  });

  it("hands the window settings to the handlers under their TICKSTREAM_* names", () => {
    expect(windowEnvironment(stageConfig("bob", {}))).toEqual({
      TICKSTREAM_WINDOW_SIZE_MS: String(WINDOW_DEFAULTS.windowSizeMs),
      TICKSTREAM_WINDOW_SLIDE_MS: String(WINDOW_DEFAULTS.windowSlideMs),
      TICKSTREAM_ALLOWED_LATENESS_MS: String(WINDOW_DEFAULTS.allowedLatenessMs),
      TICKSTREAM_IDLE_TIMEOUT_MS: String(WINDOW_DEFAULTS.idleTimeoutMs),
      TICKSTREAM_PANE_RETENTION_HOURS: String(WINDOW_DEFAULTS.paneRetentionHours),
      TICKSTREAM_MAX_CLOCK_SKEW_MS: String(WINDOW_DEFAULTS.maxClockSkewMs),
    });
  });

  it("allows exactly the custom domain as an origin when one is set, and localhost off prod", () => {
    const env = { TICKSTREAM_SITE_DOMAIN: "app.example.com" };
    expect(stageConfig("prod", env).web.domain).toEqual({
      name: "app.example.com",
      hostedZone: "example.com",
    });
    expect(staticCorsOrigins(stageConfig("prod", env))).toEqual(["https://app.example.com"]);
    expect(staticCorsOrigins(stageConfig("prod", {}))).toEqual([]);
    expect(staticCorsOrigins(stageConfig("bob", {}))).toEqual(LOCAL_ORIGINS);
    expect(stageConfig("pr-3", env).web.domain).toBeUndefined();
  });

  it("reads the alarm address from the environment", () => {
    expect(stageConfig("prod", { TICKSTREAM_ALARM_EMAIL: "ops@example.com" }).alarms.email).toBe(
      "ops@example.com",
    );
    expect(stageConfig("prod", {}).alarms.email).toBeUndefined();
  });
});
