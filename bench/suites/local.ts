import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CognitoIdentityProviderClient, InitiateAuthCommand } from "@aws-sdk/client-cognito-identity-provider";
import type { LocalHandle, LocalOutputsLike } from "../types.js";

const HOST = fileURLToPath(new URL("./local-host.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export type Variant = "design" | "baseline";

/** Starts the local back end in a child process and waits for its outputs. */
export async function startLocalHost(variant: Variant, timeoutMs = 120_000): Promise<LocalHandle & { child: ChildProcess; startSeconds: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), `tickstream-bench-${variant}-`));
  const t0 = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", HOST, JSON.stringify({ dataDir, variant })], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const outputs = await new Promise<LocalOutputsLike>((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`local back end not ready after ${timeoutMs} ms: ${err}`)), timeoutMs);
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const line = buf.split("\n").find((l) => l.startsWith("READY "));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(6)) as LocalOutputsLike);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`local back end exited (${code}): ${err.trim().split("\n").slice(-5).join(" | ")}`));
    });
  });
  const startSeconds = (Date.now() - t0) / 1000;
  let stopped: Promise<void> | undefined;
  return {
    outputs,
    dataDir,
    pid: child.pid,
    child,
    startSeconds,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        const kill = setTimeout(() => child.kill("SIGKILL"), 20_000);
        child.once("exit", () => {
          clearTimeout(kill);
          rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
        child.stdin!.end();
      });
      return stopped;
    },
  };
}

/** The sequence number each reader has checkpointed, per shard (files under the data directory). */
export async function readCheckpoints(dataDir: string, reader: string, stream: string, shardIds: string[]): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  await Promise.all(
    shardIds.map(async (s) => {
      try {
        const raw = JSON.parse(await readFile(join(dataDir, "checkpoints", reader, stream, `${s}.json`), "utf8")) as { sequenceNumber?: string };
        out[s] = raw.sequenceNumber;
      } catch {
        out[s] = undefined;
      }
    }),
  );
  return out;
}

/** A real Cognito token for the demo user (USER_PASSWORD_AUTH against cognito-local). */
export async function signIn(o: LocalOutputsLike): Promise<{ idToken: string; accessToken: string }> {
  const cognito = new CognitoIdentityProviderClient({ region: o.region, endpoint: o.cognitoEndpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  try {
    const res = await cognito.send(
      new InitiateAuthCommand({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: o.userPoolClientId,
        AuthParameters: { USERNAME: o.demoUser.username, PASSWORD: o.demoUser.password },
      }),
    );
    const r = res.AuthenticationResult;
    if (!r?.IdToken || !r.AccessToken) throw new Error("sign-in returned no tokens");
    return { idToken: r.IdToken, accessToken: r.AccessToken };
  } finally {
    cognito.destroy();
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc; undefined elsewhere. */
export async function cpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (!pid) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return undefined;
  }
}
