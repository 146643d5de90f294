import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseStartArgs, UsageError, USAGE } from "./start.js";
import { resetLocal } from "./reset.js";
import { DEFAULT_DATA_DIR, REPO_ROOT } from "./paths.js";
import { createServer } from "node:net";
import { PortInUseError, freePort, resolvePorts } from "./ports.js";

describe("npm start arguments", () => {
  it("defaults to everything on the default ports in .local", () => {
    expect(parseStartArgs([], {})).toEqual({
      web: true,
      webMode: "production",
      generator: true,
      dataDir: DEFAULT_DATA_DIR,
      ports: {},
      help: false,
    });
  });

  it("reads flags, port flags in both spellings and port variables", () => {
    const args = parseStartArgs(
      [
        "--no-web",
        "--no-generator",
        "--data-dir",
        "/tmp/x",
        "--port-api",
        "4000",
        "--port-web=4001",
      ],
      {
        TICKSTREAM_KINESIS_PORT: "5000",
        TICKSTREAM_API_PORT: "1234",
      },
    );
    expect(args).toEqual({
      web: false,
      webMode: "production",
      generator: false,
      dataDir: "/tmp/x",
      ports: { api: 4000, web: 4001, kinesis: 5000 },
      help: false,
    });
    expect(parseStartArgs(["--auto-ports"], {}).ports).toBe("auto");
    expect(parseStartArgs(["--web-dev"], {}).webMode).toBe("dev");
    expect(USAGE).toContain("--web-dev");
    expect(parseStartArgs([], { TICKSTREAM_DATA_DIR: "/d" }).dataDir).toBe("/d");
  });

  it("refuses unknown flags and bad values", () => {
    expect(() => parseStartArgs(["--nope"], {})).toThrow(UsageError);
    expect(() => parseStartArgs(["--port-api"], {})).toThrow(/needs a value/);
    expect(() => parseStartArgs(["--port-api", "x"], {})).toThrow(/port number/);
    expect(() => parseStartArgs(["--port-db", "1"], {})).toThrow(/unknown option/);
    expect(() => parseStartArgs(["--no-web=1"], {})).toThrow(/takes no value/);
    expect(() => parseStartArgs(["--web-dev=yes"], {})).toThrow(/takes no value/);
    expect(() => parseStartArgs([], { TICKSTREAM_WEB_PORT: "70000" })).toThrow(
      /TICKSTREAM_WEB_PORT/,
    );
  });

  it("documents every port flag and variable", () => {
    for (const s of [
      "--port-api",
      "TICKSTREAM_API_PORT",
      "--port-cognito",
      "--no-web",
      "--data-dir",
    ])
      expect(USAGE).toContain(s);
    expect(new PortInUseError("api", 3001).message).toMatch(
      /3001.*--port-api.*TICKSTREAM_API_PORT/,
    );
  });
});

describe("local:reset", () => {
  it("removes a data directory, and refuses one held by a live runtime or one that is not a data directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tickstream-reset-"));
    await mkdir(join(dir, "kinesis"));
    await writeFile(
      join(dir, "runtime.lock"),
      JSON.stringify({ pid: process.pid, startedAt: "now", token: "t" }),
    );
    await expect(resetLocal(dir)).rejects.toThrow(/stop it first/);
    await writeFile(
      join(dir, "runtime.lock"),
      JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: "then", token: "t" }),
    );
    expect(await resetLocal(dir)).toBe("removed");
    expect(await resetLocal(dir)).toBe("absent");

    const other = await mkdtemp(join(tmpdir(), "tickstream-other-"));
    await writeFile(join(other, "precious.txt"), "keep me");
    await expect(resetLocal(other)).rejects.toThrow(/does not look like/);
    await rm(other, { recursive: true });
    await expect(resetLocal(REPO_ROOT)).rejects.toThrow(/repository/);
  });
});

describe("ports", () => {
  it("fails before starting anything when a fixed port is taken, naming the flag and variable", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const taken = (server.address() as { port: number }).port;
    try {
      const err = await resolvePorts({ api: taken, web: await freePort() }, ["api", "web"]).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PortInUseError);
      expect((err as Error).message).toContain(`Port ${taken} (api) is already in use`);
      expect((err as Error).message).toContain("--port-api");
      expect((err as Error).message).toContain("TICKSTREAM_API_PORT");
    } finally {
      server.close();
    }
  });

  it("hands out distinct free ports with auto", async () => {
    const ports = await resolvePorts("auto");
    expect(new Set(Object.values(ports)).size).toBe(6);
  });
});
