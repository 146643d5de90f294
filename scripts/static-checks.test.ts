import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ESLint } from "eslint";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The type check and the linter, as part of `npm test`: the tests run through tsx and Vite,
 * which strip types without checking them, so a type error would otherwise pass CI.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WEB = join(ROOT, "packages", "web");
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const run = promisify(execFile);

const scratch = mkdtempSync(join(tmpdir(), "tickstream-static-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** tsc's diagnostics for a project, or "" when it passes. */
async function typeErrors(project: string): Promise<string> {
  try {
    await run(process.execPath, [TSC, "--noEmit", "--pretty", "false", "-p", project], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    return "";
  } catch (err) {
    const { stdout, stderr, message } = err as { stdout?: string; stderr?: string; message: string };
    return `${stdout ?? ""}${stderr ?? ""}` || message;
  }
}

/**
 * The dashboard's sources against their own tsconfig, but without what `next build` and
 * `next dev` write (next-env.d.ts and the route types under .next/, absent from a fresh clone
 * and rewritten by the browser tests' build while this runs): their two type references are
 * given here instead, and no incremental state is written into the package.
 */
function webProject(): string {
  const env = join(scratch, "next-env.d.ts");
  writeFileSync(env, '/// <reference types="next" />\n/// <reference types="next/image-types/global" />\n');
  const project = join(scratch, "tsconfig.web.json");
  writeFileSync(
    project,
    JSON.stringify({
      extends: join(WEB, "tsconfig.json"),
      compilerOptions: { incremental: false, typeRoots: [join(ROOT, "node_modules", "@types")] },
      include: [env, join(WEB, "src", "**", "*.ts"), join(WEB, "src", "**", "*.tsx")],
    }),
  );
  return project;
}

describe("static checks", { timeout: 240_000 }, () => {
  it.each([
    ["the back end, stacks, tools and benchmarks", () => join(ROOT, "tsconfig.json")],
    ["the dashboard", webProject],
    ["the browser tests", () => join(WEB, "e2e", "tsconfig.json")],
  ])("%s type-check", async (_, project) => {
    expect(await typeErrors(project())).toBe("");
  });

  it("the type check reports an error where there is one", async () => {
    const dir = mkdtempSync(join(scratch, "bad-"));
    writeFileSync(join(dir, "bad.ts"), 'export const price: number = "12.34";\n');
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ extends: join(ROOT, "tsconfig.json"), compilerOptions: { typeRoots: [join(ROOT, "node_modules", "@types")] }, include: ["bad.ts"] }));
    expect(await typeErrors(join(dir, "tsconfig.json"))).toMatch(/bad\.ts.*TS2322/);
  });

  it("eslint finds no problem, and finds one where there is one", async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const [planted] = await eslint.lintText("let unused = 1;\n", { filePath: join(ROOT, "packages", "core", "src", "planted.ts") });
    expect(planted!.messages.map((m) => m.ruleId)).toContain("@typescript-eslint/no-unused-vars");
    const results = await eslint.lintFiles(["."]);
    const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line}:${m.column} ${m.ruleId ?? ""} ${m.message}`));
    expect(problems).toEqual([]);
  });
});
