/** scripts/add-user.ts against the local runtime's Cognito: the new user can sign in. */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../packages/local/src/runtime.js";
import { signInLocal } from "../packages/local/src/testing/scenario.js";
import { startTestRuntime, tempDataDir } from "../packages/local/src/testing/test-runtime.js";

const ROOT = path.resolve(import.meta.dirname, "..");
let rt: LocalRuntime;
let dataDir: string;

beforeAll(async () => {
  dataDir = await tempDataDir("add-user");
  // Only Cognito and the API's JWT check matter here: stand-in functions behind them.
  const none = async () => ({ batchItemFailures: [] });
  rt = await startTestRuntime(dataDir, {
    handlers: {
      latest: none,
      windows: none,
      windowsTimer: async () => undefined,
      api: async () => ({
        statusCode: 200,
        headers: { "content-type": "application/json" },
        body: "[]",
      }),
    },
  });
});

afterAll(async () => {
  await rt?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function addUser(...args: string[]) {
  return spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "scripts/add-user.ts",
      "--local",
      "--outputs",
      path.join(dataDir, "outputs.json"),
      ...args,
    ],
    {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
    },
  );
}

function signIn(username: string, password: string): Promise<string> {
  return signInLocal(rt.outputs, { username, password });
}

describe("scripts/add-user.ts --local", () => {
  it("adds a confirmed user with a generated permanent password, who can sign in and call the API", async () => {
    const r = addUser("--email", "ana@example.com");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/added ana@example\.com in local user pool/);
    const password = /password: (\S+)/.exec(r.stdout)?.[1];
    expect(password).toBeDefined();
    const token = await signIn("ana@example.com", password!);
    expect(token).toBeTruthy();
    const res = await fetch(`${rt.outputs.apiUrl}/instruments`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
  });

  it("refuses an existing user unless asked to reset the password", async () => {
    const again = addUser("--email", "ana@example.com", "--password", "An0ther-Secret!");
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists.*--reset-password/);
    const reset = addUser(
      "--email",
      "ana@example.com",
      "--password",
      "An0ther-Secret!",
      "--reset-password",
    );
    expect(reset.status, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/updated ana@example\.com/);
    expect(reset.stdout).not.toMatch(/password:/);
    expect(await signIn("ana@example.com", "An0ther-Secret!")).toBeTruthy();
  });

  it("a bad command line prints the usage and exits 2", () => {
    const r = addUser("--email", "nobody");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Usage: npx tsx scripts/add-user.ts");
  });
});
