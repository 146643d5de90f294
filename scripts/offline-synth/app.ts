/**
 * Offline synthesis of the SST app: no AWS credentials, no network. Shared by
 * `scripts/synth.ts` (`npm run synth`) and the infrastructure tests.
 *
 * SST skips its bootstrap lookup and the Next.js build when NODE_ENV is "test", so the
 * caller must set NODE_ENV=test before sst is first imported.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Aspects } from "aws-cdk-lib";
import type { IAspect } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { CfnFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { App, Function as SstFunction } from "sst/constructs";
import { useDeferredTasks } from "sst/constructs/deferred_task.js";
import { initProject, setProject, useProject } from "sst/project.js";
import config, { DEFAULT_REGION } from "../../sst.config";
import { applyNagChecks } from "../../stacks/nag";
import { SITE_PATH } from "../../stacks/WebStack";

/** Placeholder account for offline templates (ARNs that name the account use it). */
export const OFFLINE_ACCOUNT = "123456789012";

export interface OfflineOptions {
  stage: string;
  region?: string;
  account?: string;
  /** Where `app.synth()` writes the cloud assembly; a temporary directory if omitted. */
  outdir?: string;
  /**
   * Bundle the functions with esbuild, as `sst deploy` would (needs the handler sources).
   * Without it the functions keep SST's placeholder code; templates are otherwise the same.
   */
  bundle?: boolean;
  /**
   * Write SST's generated types and build artifacts to a private temporary directory instead
   * of `.sst/`, so that several apps can be built at once (parallel test files).
   */
  privateWorkDir?: boolean;
  /**
   * Run the cdk-nag rule packs (AwsSolutions, Serverless) with the app's accepted findings
   * (stacks/nag.ts): each finding becomes an error or warning annotation on its resource.
   */
  nag?: boolean;
}

const temporaryDirs: string[] = [];

function temporaryDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporaryDirs.push(dir);
  return dir;
}

/** Deletes the temporary directories made by `buildApp` (call once done with the app). */
export function removeTemporaryDirs(): void {
  for (const dir of temporaryDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Builds the whole app for one stage, runs SST's finishing steps, and returns it. */
export async function buildApp(opts: OfflineOptions): Promise<App> {
  if (process.env.NODE_ENV !== "test") {
    throw new Error("Offline synthesis needs NODE_ENV=test, set before sst is imported");
  }
  await initProject({ stage: opts.stage, region: opts.region });
  if (opts.privateWorkDir) {
    const work = temporaryDir("tickstream-synth-");
    const project = useProject();
    setProject({
      ...project,
      paths: { ...project.paths, out: work, artifacts: path.join(work, "artifacts") },
    });
  }
  ensureSiteStandIns(path.join(useProject().paths.root, SITE_PATH));

  const settings = await config.config({ stage: opts.stage, region: opts.region });
  const app = new App(
    {
      mode: "deploy",
      stage: opts.stage,
      name: settings.name,
      region: settings.region ?? DEFAULT_REGION,
      account: opts.account ?? OFFLINE_ACCOUNT,
    },
    { outdir: opts.outdir ?? temporaryDir("tickstream-cdk-out-") },
  );
  await config.stacks(app);
  if (opts.nag) applyNagChecks(app);
  if (!opts.bundle) {
    // SST's deferred tasks are the function builds; leave SST's placeholder code in place,
    // but give each function the runtime its build would set.
    useDeferredTasks().run = async () => {
      setConfiguredRuntimes(app);
      return true;
    };
  }
  await app.finish();
  allowResynthesis(app);
  return app;
}

/**
 * SST deploys every function with placeholder code on nodejs22.x and sets the configured
 * runtime only once the function is built. Without the build, set it here, so the templates
 * carry the runtime a deploy would.
 */
function setConfiguredRuntimes(app: App): void {
  for (const node of app.node.findAll()) {
    if (!(node instanceof SstFunction)) continue;
    const runtime = Runtime.ALL.find((r) => r.name === node.getConstructMetadata().data.runtime);
    if (runtime) (node.node.defaultChild as CfnFunction).runtime = runtime.name;
  }
}

/**
 * SST's construct-id check (an aspect added by `app.finish()`) remembers every id it has seen,
 * so a second synthesis of the same app reports each construct as its own duplicate.
 * `Annotations.fromStack` synthesizes again on every call: let the check see each construct
 * once.
 */
function allowResynthesis(app: App): void {
  const check = Aspects.of(app).all.find((a) => a.constructor.name === "EnsureUniqueConstructIds");
  if (!check) return;
  const seen = new WeakSet<IConstruct>();
  const visit = check.visit.bind(check);
  (check as IAspect).visit = (node: IConstruct) => {
    if (seen.has(node)) return;
    seen.add(node);
    visit(node);
  };
}

/**
 * NextjsSite reads the open-next build output even when it skips the build (NODE_ENV=test).
 * Lay down a minimal stand-in of each file it reads, only where the file is missing, so a
 * real `open-next build` is always used when present. Both directories are gitignored, and a
 * real build replaces them. Returns the files written.
 */
export function ensureSiteStandIns(siteDir: string): string[] {
  const placeholder = `export const handler = async () => ({ statusCode: 503, body: "Stand-in: the site was not built" });\n`;
  const files: Record<string, string> = {
    ".open-next/open-next.output.json": JSON.stringify(
      {
        edgeFunctions: {},
        origins: {
          s3: {
            type: "s3",
            originPath: "_assets",
            copy: [
              { from: ".open-next/assets", to: "_assets", cached: true, versionedSubDir: "_next" },
            ],
          },
          imageOptimizer: {
            type: "function",
            handler: "index.handler",
            bundle: ".open-next/image-optimization-function",
            streaming: false,
          },
          default: {
            type: "function",
            handler: "index.handler",
            bundle: ".open-next/server-functions/default",
            streaming: false,
          },
        },
        behaviors: [
          { pattern: "_next/image*", origin: "imageOptimizer" },
          { pattern: "_next/data/*", origin: "default" },
          { pattern: "*", origin: "default" },
          { pattern: "BUILD_ID", origin: "s3" },
          { pattern: "_next/*", origin: "s3" },
        ],
        additionalProps: {},
      },
      null,
      2,
    ),
    ".open-next/assets/BUILD_ID": "stand-in\n",
    ".open-next/server-functions/default/index.mjs": placeholder,
    ".open-next/image-optimization-function/index.mjs": placeholder,
    ".open-next/revalidation-function/index.mjs": placeholder,
    ".next/BUILD_ID": "stand-in",
    ".next/routes-manifest.json": JSON.stringify({
      version: 3,
      pages404: true,
      basePath: "",
      redirects: [],
      headers: [],
      rewrites: [],
      dynamicRoutes: [],
      staticRoutes: [{ page: "/", regex: "^/(?:/)?$", routeKeys: {}, namedRegex: "^/(?:/)?$" }],
      dataRoutes: [],
    }),
  };
  const written: string[] = [];
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(siteDir, rel);
    if (fs.existsSync(file)) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Write then rename, so a concurrent reader never sees half a file.
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
    written.push(file);
  }
  return written;
}
