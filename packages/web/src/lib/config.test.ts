import { describe, expect, it } from "vitest";
import { parseConfig } from "./config";

const full = {
  NEXT_PUBLIC_API_URL: "http://127.0.0.1:4000/",
  NEXT_PUBLIC_REGION: "us-east-1",
  NEXT_PUBLIC_USER_POOL_ID: "local_abc123",
  NEXT_PUBLIC_USER_POOL_CLIENT_ID: "client",
  NEXT_PUBLIC_COGNITO_ENDPOINT: "http://127.0.0.1:9229",
};

describe("dashboard settings", () => {
  it("accepts a complete configuration and trims the trailing slash", () => {
    const r = parseConfig(full);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.config.apiUrl).toBe("http://127.0.0.1:4000");
      expect(r.config.cognitoEndpoint).toBe("http://127.0.0.1:9229");
      expect(r.config.windowSizeMs).toBe(60_000);
      expect(r.config.paneMs).toBe(10_000);
    }
  });

  it("does without the Cognito endpoint (AWS)", () => {
    const r = parseConfig({ ...full, NEXT_PUBLIC_COGNITO_ENDPOINT: undefined });
    expect(r.ok && r.config.cognitoEndpoint).toBe(undefined);
  });

  it("names every missing or malformed variable", () => {
    const r = parseConfig({ NEXT_PUBLIC_API_URL: "not a url", NEXT_PUBLIC_REGION: " " });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.join("\n")).toMatch(/NEXT_PUBLIC_API_URL is not an http\(s\) URL/);
      expect(r.problems.join("\n")).toMatch(/NEXT_PUBLIC_REGION is not set/);
      expect(r.problems.join("\n")).toMatch(/NEXT_PUBLIC_USER_POOL_ID is not set/);
      expect(r.problems.join("\n")).toMatch(/NEXT_PUBLIC_USER_POOL_CLIENT_ID is not set/);
    }
  });

  it("rejects a window that is not a whole number of panes", () => {
    const r = parseConfig({ ...full, NEXT_PUBLIC_WINDOW_SIZE_MS: "65000" });
    expect(r.ok).toBe(false);
  });
});
