import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { PortInUseError } from "../ports.js";
import { answersHttp, childEnv, startChild, type SupervisedChild } from "./child.js";

const require = createRequire(import.meta.url);

export interface CognitoServer {
  endpoint: string;
  port: number;
  child: SupervisedChild;
  close(): Promise<void>;
}

/**
 * cognito-local as a child process. Its working directory is `path`, so its `.cognito/`
 * (config, pools, users) lives there and survives restarts. HOST is pinned to 127.0.0.1 so that
 * the token issuer is `http://127.0.0.1:<port>/<poolId>`.
 */
export async function startCognitoServer(options: {
  path: string;
  port: number;
  logDir: string;
}): Promise<CognitoServer> {
  await mkdir(options.path, { recursive: true });
  const endpoint = `http://127.0.0.1:${options.port}`;
  const child = await startChild({
    name: "cognito-local",
    command: process.execPath,
    args: [require.resolve("cognito-local/lib/bin/start.js")],
    cwd: options.path,
    env: childEnv({
      PORT: String(options.port),
      HOST: "127.0.0.1",
      NO_COLOR: "1",
      FORCE_COLOR: "0",
    }),
    logFile: join(options.logDir, "cognito.log"),
    ready: () => answersHttp(`${endpoint}/health`),
    readyTimeoutMs: 30_000,
  }).catch((err: Error) => {
    if (err.message.includes("EADDRINUSE")) throw new PortInUseError("cognito", options.port);
    throw err;
  });
  return { endpoint, port: options.port, child, close: () => child.stop() };
}
