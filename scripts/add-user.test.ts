import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  findUserPool,
  generatePassword,
  parseAddUserArgs,
  resolvePool,
  UsageError,
} from "./add-user.js";

describe("add-user command line", () => {
  it("takes an e-mail and exactly one of --stage / --local", () => {
    expect(parseAddUserArgs(["--email", "ana@example.com", "--local"])).toMatchObject({
      email: "ana@example.com",
      local: true,
    });
    expect(
      parseAddUserArgs(["--email", "ana@example.com", "--stage", "prod", "--reset-password"]),
    ).toMatchObject({
      stage: "prod",
      local: false,
      resetPassword: true,
    });
    expect(parseAddUserArgs(["--help"])).toBe("help");
    for (const bad of [
      [],
      ["--email", "ana@example.com"],
      ["--email", "ana@example.com", "--local", "--stage", "prod"],
      ["--email", "not-an-address", "--local"],
      ["--email", "ana@example.com", "--stage", "bad stage"],
      ["--email", "ana@example.com", "--local", "--bogus"],
      ["--email", "ana@example.com", "--local", "extra"],
    ]) {
      expect(() => parseAddUserArgs(bad), bad.join(" ")).toThrow(UsageError);
    }
  });

  it("generates passwords that meet Cognito's default policy", () => {
    for (let i = 0; i < 50; i++) {
      const p = generatePassword();
      expect(p).toHaveLength(20);
      expect(p).toMatch(/[A-Z]/);
      expect(p).toMatch(/[a-z]/);
      expect(p).toMatch(/[0-9]/);
      expect(p).toMatch(/[^A-Za-z0-9]/);
    }
    expect(new Set(Array.from({ length: 20 }, () => generatePassword())).size).toBe(20);
  });
});

describe("user pool lookup", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "add-user-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the stage's pool in SST's outputs", () => {
    const outputs = {
      "staging-tickstream-Api": { ApiUrl: "https://x" },
      "staging-tickstream-Auth": {
        UserPoolId: "eu-west-1_abc",
        UserPoolClientId: "c",
        Region: "eu-west-1",
      },
      "prod-tickstream-Auth": { UserPoolId: "us-east-1_prod" },
    };
    expect(findUserPool(outputs, "staging")).toEqual({
      userPoolId: "eu-west-1_abc",
      region: "eu-west-1",
    });
    // Without a Region output, the pool id names it.
    expect(findUserPool(outputs, "prod")).toEqual({
      userPoolId: "us-east-1_prod",
      region: "us-east-1",
    });
    expect(findUserPool(outputs, "pr-3")).toBeUndefined();
  });

  it("reads the local runtime's outputs for --local, and says what to do when they are missing", () => {
    const file = path.join(dir, "outputs.json");
    writeFileSync(
      file,
      JSON.stringify({
        userPoolId: "local_1",
        cognitoEndpoint: "http://127.0.0.1:9",
        region: "us-east-1",
      }),
    );
    const t = resolvePool(
      { email: "a@b.co", local: true, resetPassword: false, outputs: file },
      dir,
    );
    expect(t).toMatchObject({
      userPoolId: "local_1",
      endpoint: "http://127.0.0.1:9",
      region: "us-east-1",
    });
    expect(() =>
      resolvePool(
        { email: "a@b.co", local: true, resetPassword: false, outputs: "none.json" },
        dir,
      ),
    ).toThrow(/npm start/);
    expect(() =>
      resolvePool({ email: "a@b.co", stage: "qa", local: false, resetPassword: false }, dir),
    ).toThrow(/sst deploy --stage qa/);
    expect(
      resolvePool(
        {
          email: "a@b.co",
          stage: "qa",
          local: false,
          resetPassword: false,
          userPoolId: "x_1",
          region: "eu-west-1",
        },
        dir,
      ),
    ).toMatchObject({
      userPoolId: "x_1",
      region: "eu-west-1",
    });
  });
});
