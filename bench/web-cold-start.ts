/**
 * `npm start` -> chart on screen, from a fresh clone: spawn `npm start` in a copy of the
 * repository without any `.next` (the dashboard's compile cache), and time until headless
 * Chromium, signed in, shows the chart of an instrument.
 *
 *   npx tsx bench/web-cold-start.ts [--json] [--keep-log]
 *
 * The copy holds the working tree's files (tracked and untracked, not ignored ones) and links to
 * the installed node_modules: what a clone followed by `npm install` has. Chromium is started
 * while the runtime starts, as a browser that is already open; the sign-in is typed by the
 * script (a few milliseconds). The runtime runs as `npm start` does, tick generator included.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../packages/web/e2e/chromium.js";

const REPO = fileURLToPath(new URL("../", import.meta.url));

export interface ColdStartResult {
  /** spawn of `npm start` -> its "running" banner (the dashboard answers) */
  spawnToReadyMs: number;
  /** banner -> sign-in form shown */
  readyToSignInFormMs: number;
  /** sign-in submitted -> chart drawn */
  signInToChartMs: number;
  /** spawn of `npm start` -> chart drawn */
  spawnToChartMs: number;
  /** The dashboard had no compile cache (`.next` absent), as in a fresh clone. */
  freshCopy: true;
}

/** A copy of the working tree with links to the installed packages; returns its directory. */
export async function freshCopy(into: string): Promise<string> {
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], {
    cwd: REPO,
    maxBuffer: 64 * 1024 * 1024,
  })
    .toString()
    .split("\0")
    .filter((f) => f && existsSync(join(REPO, f)));
  for (const file of files) {
    await mkdir(dirname(join(into, file)), { recursive: true });
    await copyFile(join(REPO, file), join(into, file));
  }
  const modules = [
    "node_modules",
    ...readdirSync(join(REPO, "packages")).map((p) => join("packages", p, "node_modules")),
  ].filter((dir) => existsSync(join(REPO, dir)));
  for (const dir of modules) await symlink(join(REPO, dir), join(into, dir), "dir");
  if (existsSync(join(into, "packages", "web", ".next")))
    throw new Error("the copy has a .next directory: it would not be a cold start");
  return into;
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () =>
        reject(new Error(`npm start did not print ${pattern} within ${timeoutMs} ms:\n${seen}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4000);
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before it was ready:\n${seen}`));
    });
  });
}

/** Ctrl-C for the whole process group, as a terminal sends it; then waits for the exit. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(-child.pid!, "SIGINT");
  const late = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 60_000);
  await exited;
  clearTimeout(late);
}

export async function measureColdStart(
  opts: { log?: (m: string) => void; keepLog?: boolean } = {},
): Promise<ColdStartResult> {
  const log = opts.log ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), "tickstream-cold-"));
  const profile = await mkdtemp(join(tmpdir(), "tickstream-bench-chromium-"));
  let child: ChildProcess | undefined;
  try {
    log("copying the working tree (no .next)…");
    await freshCopy(dir);
    const browser = launchChromium(profile);
    log("npm start…");
    const t0 = Date.now();
    const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
    delete env.NODE_ENV;
    child = spawn("npm", ["start", "--", "--auto-ports"], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    child.stderr!.resume();
    await waitForLine(child, /Tickstream is running locally/, 300_000);
    const tReady = Date.now();
    log(`running after ${tReady - t0} ms`);
    const outputs = JSON.parse(readFileSync(join(dir, ".local", "outputs.json"), "utf8")) as {
      webUrl: string;
      demoUser: { username: string; password: string };
    };
    const context = await browser;
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(outputs.webUrl, { timeout: 300_000 });
      await page.getByTestId("signin-form").waitFor({ timeout: 300_000 });
      const tForm = Date.now();
      log(`sign-in form after ${tForm - tReady} ms more`);
      await page.getByTestId("username").fill(outputs.demoUser.username);
      await page.getByTestId("password").fill(outputs.demoUser.password);
      const tSubmit = Date.now();
      await page.getByTestId("signin-submit").click();
      await page
        .locator('[data-testid="price-chart"] .recharts-surface')
        .waitFor({ timeout: 180_000 })
        .catch(async (err: Error) => {
          // what the page showed instead, for the report
          const text = (
            await page
              .locator("body")
              .innerText()
              .catch(() => "")
          ).slice(0, 600);
          throw new Error(`${err.message.split("\n")[0]}; the page showed: ${text}`);
        });
      const tChart = Date.now();
      log(`chart after ${tChart - tSubmit} ms more`);
      return {
        spawnToReadyMs: tReady - t0,
        readyToSignInFormMs: tForm - tReady,
        signInToChartMs: tChart - tSubmit,
        spawnToChartMs: tChart - t0,
        freshCopy: true,
      };
    } finally {
      await context.close();
    }
  } finally {
    if (child) await stopGroup(child);
    if (opts.keepLog) {
      const web = join(dir, ".local", "logs", "web.log");
      if (existsSync(web)) log(`dashboard log:\n${readFileSync(web, "utf8")}`);
    }
    await rm(dir, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const r = await measureColdStart({
    log: json ? undefined : (m) => console.error(m),
    keepLog: args.includes("--keep-log"),
  });
  if (json) console.log(JSON.stringify(r));
  else
    console.log(
      `npm start -> chart (no .next): ${r.spawnToChartMs} ms (running ${r.spawnToReadyMs}, sign-in form +${r.readyToSignInFormMs}, sign-in -> chart ${r.signInToChartMs})`,
    );
}
