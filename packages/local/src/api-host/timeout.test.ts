import { afterEach, describe, expect, it } from "vitest";
import type { LocalFunction } from "../lambda.js";
import { silentLog } from "../timing.js";
import { ApiHost } from "./server.js";

/**
 * A hung API function: it fails on its own time limit as a function error (500), and API
 * Gateway gives up on the integration after its own limit (503), whichever comes first.
 */
describe("local API host and time limits", () => {
  let host: ApiHost | undefined;
  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  async function start(timeoutMs: number, integrationTimeoutMs?: number): Promise<string> {
    const fn: LocalFunction = {
      id: "Api",
      functionName: "tickstream-local-Api",
      timeoutMs,
      handler: () => new Promise(() => undefined),
    };
    host = new ApiHost({
      port: 0,
      region: "us-east-1",
      routes: ["GET /health"],
      publicRoutes: ["GET /health"],
      fn,
      authorize: async () => ({ ok: false, reason: "no token" }),
      cors: { allowOrigins: "*", allowHeaders: [], allowMethods: ["GET"], maxAgeSeconds: 60 },
      log: silentLog,
      ...(integrationTimeoutMs !== undefined ? { integrationTimeoutMs } : {}),
    });
    await host.start();
    return host.url;
  }

  it("answers 500 when the function runs past its own time limit", async () => {
    const url = await start(100);
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: "Internal Server Error" });
  });

  it("answers 503 when the integration times out first", async () => {
    const url = await start(10_000, 100);
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ message: "Service Unavailable" });
  });
});
