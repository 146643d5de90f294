import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findStreamOutput, resolveTarget, type Target } from "./target.js";

const made: Target[] = [];
afterEach(() => {
  for (const t of made.splice(0)) t.client.destroy();
});
const track = (t: Target) => (made.push(t), t);

function dir(files: Record<string, unknown>): string {
  const d = mkdtempSync(join(tmpdir(), "tickstream-target-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(d, path, ".."), { recursive: true });
    writeFileSync(join(d, path), typeof content === "string" ? content : JSON.stringify(content));
  }
  return d;
}

const local = {
  region: "eu-west-3",
  kinesisEndpoint: "http://127.0.0.1:4567",
  pricesStream: "tickstream-prices",
  windowsStream: "tickstream-windows",
};

describe("resolveTarget", () => {
  it("defaults to the local runtime's outputs, with dummy credentials", async () => {
    const cwd = dir({ ".local/outputs.json": local });
    const t = track(resolveTarget({}, "prices", { cwd }));
    expect(t).toMatchObject({
      mode: "local",
      streamName: "tickstream-prices",
      region: "eu-west-3",
      endpoint: "http://127.0.0.1:4567",
    });
    expect(track(resolveTarget({}, "windows", { cwd })).streamName).toBe("tickstream-windows");
    const creds = await t.client.config.credentials();
    expect(creds.accessKeyId).toBe("local");
    expect(await t.client.config.region()).toBe("eu-west-3");
  });

  it("takes another outputs file and overrides from flags", () => {
    const cwd = dir({ "elsewhere/out.json": local });
    const t = track(
      resolveTarget(
        { outputs: "elsewhere/out.json", stream: "other", endpoint: "http://127.0.0.1:1" },
        "prices",
        { cwd },
      ),
    );
    expect(t).toMatchObject({ mode: "local", streamName: "other", endpoint: "http://127.0.0.1:1" });
  });

  it("says how to start the local runtime when there are no outputs", () => {
    const cwd = dir({});
    expect(() => resolveTarget({}, "prices", { cwd })).toThrow(
      /no local runtime outputs at .*\.local\/outputs\.json: start the local runtime with `npm start`/,
    );
  });

  it("finds a stage's streams in SST's outputs", () => {
    const cwd = dir({
      ".sst/outputs.json": {
        "prod-tickstream-StreamStack": {
          PricesStream: "prod-tickstream-Prices",
          WindowsStream: "prod-tickstream-Windows",
          FailedBatchesQueue: "https://sqs…",
        },
        "dev-tickstream-StreamStack": {
          PricesStream: "dev-tickstream-Prices",
          WindowsStream: "dev-tickstream-Windows",
        },
      },
      "sst.config.ts":
        'export const APP_NAME = "tickstream";\nexport const DEFAULT_REGION = "us-east-1";\n',
    });
    const t = track(resolveTarget({ stage: "prod" }, "windows", { cwd, env: {} }));
    expect(t).toMatchObject({
      mode: "aws",
      streamName: "prod-tickstream-Windows",
      region: "us-east-1",
      endpoint: undefined,
    });
    expect(
      track(resolveTarget({ stage: "dev", region: "eu-west-1" }, "prices", { cwd, env: {} })),
    ).toMatchObject({ streamName: "dev-tickstream-Prices", region: "eu-west-1" });
    expect(
      track(
        resolveTarget({ stage: "dev" }, "prices", {
          cwd,
          env: { TICKSTREAM_REGION: "ap-south-1" },
        }),
      ).region,
    ).toBe("ap-south-1");
  });

  it("falls back to SST's default stream name for a stage the outputs do not list", () => {
    const cwd = dir({ "sst.config.ts": 'export const APP_NAME = "tickstream";' });
    const t = track(resolveTarget({ stage: "feature-x" }, "prices", { cwd, env: {} }));
    expect(t.streamName).toBe("feature-x-tickstream-Prices");
    expect(t.description).toMatch(/SST default name/);
  });

  it("an explicit --stream without outputs is a stream in AWS", () => {
    const t = track(
      resolveTarget({ stream: "my-stream", region: "us-west-2" }, "prices", {
        cwd: dir({}),
        env: {},
      }),
    );
    expect(t).toMatchObject({ mode: "aws", streamName: "my-stream", region: "us-west-2" });
  });

  it("an explicit local --endpoint gets dummy credentials when none are configured", async () => {
    const t = track(
      resolveTarget({ stream: "s", endpoint: "http://localhost:4567" }, "prices", {
        cwd: dir({}),
        env: {},
      }),
    );
    expect(t.mode).toBe("local");
    expect((await t.client.config.credentials()).accessKeyId).toBe("local");
  });
});

describe("findStreamOutput", () => {
  it("reads names and ARNs", () => {
    const outputs = {
      "qa-tickstream-Streams": {
        pricesStreamArn: "arn:aws:kinesis:eu-central-1:123456789012:stream/qa-prices",
      },
    };
    expect(findStreamOutput(outputs, "qa", "prices")).toEqual({
      name: "qa-prices",
      region: "eu-central-1",
    });
    expect(findStreamOutput(outputs, "qa", "windows")).toBeUndefined();
    expect(findStreamOutput(outputs, "prod", "prices")).toBeUndefined();
  });
});
