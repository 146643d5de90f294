import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { checkImports, describeViolation } from "./import-rules.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ROOTS = ["packages", "stacks", "scripts", "bench", "infra", "sst.config.ts"];

describe("import rules", { timeout: 120_000 }, () => {
  it("the repository has no import circle and no upward import", async () => {
    const { modules, violations, unresolved } = await checkImports(ROOTS, ROOT);
    expect(modules).toBeGreaterThan(200);
    expect(unresolved).toEqual([]);
    expect(violations.map(describeViolation)).toEqual([]);
  });

  const scratch = mkdtempSync(join(tmpdir(), "tickstream-imports-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("finds a circle, a stack importing its app, core importing the runtime, web importing core values", async () => {
    const files: Record<string, string> = {
      "tsconfig.json": JSON.stringify({ compilerOptions: { module: "ESNext", moduleResolution: "Bundler", allowImportingTsExtensions: true } }),
      "sst.config.ts": 'import { A } from "./stacks/A.ts";\nexport default A;\n',
      "stacks/A.ts": 'import config from "../sst.config.ts";\nexport const A = config;\n',
      "packages/core/src/a.ts": 'import { b } from "./b.ts";\nimport { run } from "../../local/src/run.ts";\nexport const a = b + run;\n',
      "packages/core/src/b.ts": 'import { a } from "./a.ts";\nexport const b = a;\n',
      "packages/local/src/run.ts": "export const run = 1;\n",
      "packages/web/src/page.ts": 'import { b } from "../../core/src/b.ts";\nimport type { a } from "../../core/src/a.ts";\nexport const page: typeof a = b;\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(scratch, path)), { recursive: true });
      writeFileSync(join(scratch, path), text);
    }
    const { violations } = await checkImports(["packages", "stacks", "sst.config.ts"], scratch);
    const rules = new Set(violations.map((v) => v.rule.name));
    expect([...rules].sort()).toEqual(["app-config-only-for-synth", "core-is-the-bottom", "core-tests-use-only-the-test-kit", "no-circular", "stacks-no-upward-import", "web-types-only"]);
    // The type-only import of a.ts from the page is allowed; the value import of b.ts is not.
    expect(violations.filter((v) => v.rule.name === "web-types-only").map((v) => v.to)).toEqual(["packages/core/src/b.ts"]);
  });
});
