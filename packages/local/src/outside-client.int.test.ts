import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { LocalOutputs } from "./outputs.js";
import { REPO_ROOT } from "./paths.js";

/**
 * As a new user would: `npm start` in a terminal, then a tool of their own that knows nothing
 * but `.local/outputs.json` (here in a temporary data directory) and the AWS SDK.
 */
describe("npm start, used from outside", () => {
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  let output = "";

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function waitFor(text: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!output.includes(text)) {
      if (child?.exitCode !== null)
        throw new Error(`npm start exited (${child?.exitCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it("reaches ready, serves an outside SDK client through outputs.json, and stops cleanly on SIGTERM", async () => {
    dir = await mkdtemp(join(tmpdir(), "tickstream-npm-start-"));
    const env = { ...process.env };
    for (const key of Object.keys(env))
      if (key.startsWith("VITEST") || key === "NODE_ENV" || key === "NODE_OPTIONS") delete env[key];
    child = spawn(
      "npm",
      ["start", "--", "--no-web", "--no-generator", "--auto-ports", "--data-dir", dir],
      {
        cwd: REPO_ROOT,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    await waitFor("Press Ctrl-C to stop.", 90_000);
    expect(output).toContain("Tickstream is running locally.");
    expect(output).toContain("demo@tickstream.local");

    const out = JSON.parse(readFileSync(join(dir, "outputs.json"), "utf8")) as LocalOutputs;
    expect(out.webUrl).toBeNull();
    const credentials = { accessKeyId: "anything", secretAccessKey: "anything" };
    const kinesis = new KinesisClient({
      region: out.region,
      endpoint: out.kinesisEndpoint,
      credentials,
      requestHandler: new NodeHttpHandler(),
    });
    const now = Date.now();
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: out.pricesStream,
        Records: [
          {
            PartitionKey: "7",
            Data: Buffer.from(`sequence=${now}|reception=${now}|instrument=7|l=1|price_0=12345|`),
          },
          {
            PartitionKey: "AAPL",
            Data: Buffer.from(
              JSON.stringify({
                EVENT_TIME: new Date(now).toISOString().slice(0, 23),
                TICKER: "AAPL",
                PRICE: 84.51,
              }),
            ),
          },
        ],
      }),
    );
    kinesis.destroy();

    const cognito = new CognitoIdentityProviderClient({
      region: out.region,
      endpoint: out.cognitoEndpoint,
      credentials,
    });
    const auth = await cognito.send(
      new InitiateAuthCommand({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: out.userPoolClientId,
        AuthParameters: { USERNAME: out.demoUser.username, PASSWORD: out.demoUser.password },
      }),
    );
    cognito.destroy();
    const headers = { authorization: `Bearer ${auth.AuthenticationResult!.IdToken}` };

    let instruments: { instrument: string; price: number }[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const res = await fetch(`${out.apiUrl}/instruments`, { headers });
      expect(res.status).toBe(200);
      instruments = (await res.json()) as typeof instruments;
      if (instruments.length >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(instruments.map(({ instrument, price }) => ({ instrument, price }))).toEqual([
      { instrument: "7", price: 123.45 },
      { instrument: "AAPL", price: 84.51 },
    ]);

    // SIGTERM to npm alone (as a process manager would send it): npm and its shell go at once,
    // the runtime notices and stops everything it started. Its output pipe closes when the last
    // process holding it has exited.
    const closed = new Promise<void>((r) => child!.stdout!.once("close", () => r()));
    child.kill("SIGTERM");
    await Promise.race([
      closed,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`still running:\n${output}`)), 30_000),
      ),
    ]);
    expect(output).toContain("Stopped.");
    expect(existsSync(join(dir, "outputs.json"))).toBe(false);
    expect(existsSync(join(dir, "runtime.lock"))).toBe(false);
    for (const url of [out.cognitoEndpoint, out.apiUrl, out.kinesisEndpoint]) {
      await expect(fetch(url, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    }
  });
});
