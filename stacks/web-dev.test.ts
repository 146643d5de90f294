// The dashboard under `sst dev`: its dev script is `sst bind next dev`, which hands it the
// NextjsSite's `environment`. These tests check the pieces that can be checked offline: the script,
// that `sst bind` resolves from the web package, and that the site's environment carries every
// setting the dashboard reads (so nothing is left for a hand-edited file).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WebStack, SITE_PATH } from "./WebStack";
import { resourceNamed, synthStageForFile } from "../scripts/offline-synth/stage-templates";

const ROOT = join(__dirname, "..");
const WEB = join(ROOT, SITE_PATH);

const s = synthStageForFile("alice");

describe("dashboard during sst dev", () => {
  it("runs next dev through sst bind", () => {
    const pkg = JSON.parse(readFileSync(join(WEB, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.dev).toBe("sst bind next dev");
  });

  it("finds the sst and next commands from the web package, as npm run dev would", () => {
    const bin = join(ROOT, "node_modules", ".bin");
    const help = execFileSync(join(bin, "sst"), ["bind", "--help"], {
      cwd: WEB,
      encoding: "utf8",
      env: { ...process.env, NODE_ENV: "development" },
    });
    expect(help).toMatch(/sst bind <command\.\.>/);
    const next = execFileSync(join(bin, "next"), ["--version"], { cwd: WEB, encoding: "utf8" });
    expect(next).toMatch(/Next\.js v14\./);
  });

  it("gives the site every NEXT_PUBLIC_* setting the dashboard reads", () => {
    const config = readFileSync(join(WEB, "src", "lib", "config.ts"), "utf8");
    const read = new Set(config.match(/NEXT_PUBLIC_[A-Z_]+/g));
    // cognito-local only: AWS uses the user pool's own endpoint.
    read.delete("NEXT_PUBLIC_COGNITO_ENDPOINT");
    expect(read.size).toBeGreaterThanOrEqual(6);

    const t = s.template(WebStack);
    const [, server] = resourceNamed(t, "AWS::Lambda::Function", "SitedefaultServerFunction");
    const env = (server.Properties!.Environment as { Variables: Record<string, unknown> })
      .Variables;
    for (const name of read) expect(env[name], name).toBeDefined();
    expect(env.NEXT_PUBLIC_WINDOW_SIZE_MS).toBe("60000");
    expect(env.NEXT_PUBLIC_WINDOW_SLIDE_MS).toBe("10000");
  });
});
