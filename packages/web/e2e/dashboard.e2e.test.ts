/**
 * The dashboard in headless Chromium against the whole local runtime: cognito-local, the API
 * with real JWT checks, the consumers and the dashboard as `npm start` serves it (`next start` of
 * its production build). Ticks go into the prices stream the way any outside producer puts them.
 *
 *   npx vitest run --project e2e packages/web
 *
 * Screenshots land in test-artifacts/web/.
 */
import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocal, type LocalRuntime } from "../../local/src/runtime.js";
import { seriousViolationsInBothSchemes } from "./axe.js";
import { launchChromium } from "./chromium.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const ARTIFACTS = join(REPO, "test-artifacts", "web");
/** Instruments of this test; the generator is off, so they are the only ones. */
const INSTRUMENTS = ["101", "102", "103"];

let rt: LocalRuntime;
let kinesis: KinesisClient;
let context: BrowserContext;
let page: Page;
let dataDir: string;
let profileDir: string;

function record(instrument: string, cents: number, eventTime: number): string {
  return `session=20261122|sequence=${eventTime}|reception=${eventTime + 3}|instrument=${instrument}|l=1|price_0=${cents}|price_1=${cents - 7}|`;
}

async function put(
  ticks: { instrument: string; cents: number; eventTime?: number }[],
): Promise<void> {
  const res = await kinesis.send(
    new PutRecordsCommand({
      StreamName: rt.outputs.pricesStream,
      Records: ticks.map((t) => ({
        Data: Buffer.from(record(t.instrument, t.cents, t.eventTime ?? Date.now())),
        PartitionKey: t.instrument,
      })),
    }),
  );
  expect(res.FailedRecordCount ?? 0).toBe(0);
}

const price = (cents: number) =>
  `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Instruments whose rows are in the page, in order. */
async function renderedInstruments(): Promise<string[]> {
  return page
    .locator("button[data-instrument]")
    .evaluateAll((buttons) => buttons.map((b) => b.getAttribute("data-instrument") ?? ""));
}

async function signIn(password: string): Promise<void> {
  await page.getByTestId("username").fill(rt.outputs.demoUser.username);
  await page.getByTestId("password").fill(password);
  await page.getByTestId("signin-submit").click();
}

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  dataDir = await mkdtemp(join(tmpdir(), "tickstream-web-e2e-"));
  profileDir = await mkdtemp(join(tmpdir(), "tickstream-chromium-"));
  rt = await startLocal({ dataDir, ports: "auto", web: true, generator: false, quiet: true });
  kinesis = new KinesisClient({
    region: rt.outputs.region,
    endpoint: rt.outputs.kinesisEndpoint,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    requestHandler: new NodeHttpHandler(),
  });
  const now = Date.now();
  await put(
    INSTRUMENTS.map((instrument, i) => ({
      instrument,
      cents: 10_000 + 1111 * (i + 1),
      eventTime: now - 2000,
    })),
  );
  await rt.waitForConsumers();

  context = await launchChromium(profileDir, { width: 1360, height: 900 });
  page = context.pages()[0] ?? (await context.newPage());
});

afterAll(async () => {
  await context?.close();
  kinesis?.destroy();
  await rt?.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(profileDir, { recursive: true, force: true });
});

describe("dashboard", () => {
  it("a wrong password shows an error and no dashboard", async () => {
    await page.goto(rt.outputs.webUrl!);
    await page.getByTestId("signin-form").waitFor({ timeout: 120_000 });
    expect(await seriousViolationsInBothSchemes(page)).toEqual([]);
    await signIn("not-the-password");
    const error = page.getByTestId("signin-error");
    await error.waitFor();
    expect(await error.textContent()).toBe("Incorrect email or password.");
    expect(await page.getByTestId("instrument-list").count()).toBe(0);
    expect(await seriousViolationsInBothSchemes(page)).toEqual([]);
    await shot("01-wrong-password");
  });

  it("signs in and shows every instrument with its latest price", async () => {
    await signIn(rt.outputs.demoUser.password);
    await page.getByTestId("instrument-list").waitFor({ timeout: 30_000 });
    for (const [i, instrument] of INSTRUMENTS.entries()) {
      const row = page.getByTestId(`instrument-${instrument}`);
      await expect
        .poll(() => row.getByTestId("price").textContent(), { timeout: 15_000 })
        .toBe(price(10_000 + 1111 * (i + 1)));
    }
    expect(await page.locator("[data-testid^=instrument-][data-instrument]").count()).toBe(
      INSTRUMENTS.length,
    );
    expect(await page.getByTestId("user").textContent()).toBe(rt.outputs.demoUser.username);
    await page.locator(".recharts-surface").waitFor({ timeout: 30_000 });
    expect(await seriousViolationsInBothSchemes(page)).toEqual([]);
    await shot("02-signed-in");
  });

  it("the chart's last point follows new ticks, with the change against the previous tick", async () => {
    await page.getByTestId("instrument-102").click();
    const chart = page.getByTestId("price-chart");
    await expect.poll(() => chart.getAttribute("data-instrument")).toBe("102");
    await expect
      .poll(() => chart.getAttribute("data-last-price"), { timeout: 15_000 })
      .toBe(price(12_222));

    for (const cents of [12_500, 12_401]) {
      const before = Number(await chart.getAttribute("data-last-tick-time"));
      const eventTime = Date.now();
      await put([{ instrument: "102", cents, eventTime }]);
      await expect
        .poll(() => chart.getAttribute("data-last-price"), { timeout: 15_000 })
        .toBe(price(cents));
      expect(Number(await chart.getAttribute("data-last-tick-time"))).toBe(eventTime);
      expect(eventTime).toBeGreaterThan(before);
    }
    const change = page.getByTestId("instrument-102").getByTestId("change");
    expect(await change.getAttribute("data-direction")).toBe("down");
    expect(await change.textContent()).toContain("-0.99");
    // the one-minute maximum includes the 125.00 tick
    await expect
      .poll(() => page.getByTestId("detail-window-max").textContent(), { timeout: 20_000 })
      .toBe("125.00");
    await page.getByTestId("range-1h").click();
    expect(await page.getByTestId("range-1h").getAttribute("aria-pressed")).toBe("true");
    expect(await page.getByTestId("range-15m").getAttribute("aria-pressed")).toBe("false");
    await shot("03-chart-after-ticks");
  });

  it("search narrows the list", async () => {
    const search = page.getByRole("searchbox", { name: "Search instruments" });
    await search.fill("03");
    await expect.poll(() => renderedInstruments()).toEqual(["103"]);
    expect(await page.getByTestId("instrument-count").textContent()).toBe("1 of 3 instruments");
    await search.fill("nothing like it");
    await page.getByTestId("instruments-no-match").waitFor();
    await shot("04-search");
    await search.fill("");
    await expect.poll(() => renderedInstruments()).toEqual(INSTRUMENTS);
  });

  it("the address bar keeps the selection and range; a watchlist star survives a reload", async () => {
    await page.getByTestId("instrument-103").click();
    await page.getByTestId("range-6h").click();
    await expect.poll(() => new URL(page.url()).search).toBe("?instrument=103&range=6h");
    await page.getByTestId("watch-101").click();
    expect(await page.getByTestId("watch-101").getAttribute("aria-pressed")).toBe("true");

    await page.reload();
    const chart = page.getByTestId("price-chart");
    await page.getByTestId("instrument-list").waitFor({ timeout: 30_000 });
    await expect.poll(() => chart.getAttribute("data-instrument")).toBe("103");
    expect(await page.getByTestId("instrument-103").getAttribute("aria-pressed")).toBe("true");
    expect(await page.getByTestId("range-6h").getAttribute("aria-pressed")).toBe("true");
    await page.locator(".recharts-surface").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("watch-101").getAttribute("aria-pressed")).toBe("true");
    expect(await page.getByTestId("watch-102").getAttribute("aria-pressed")).toBe("false");
    await page.getByTestId("show-watchlist").click();
    await expect.poll(() => renderedInstruments()).toEqual(["101"]);
    await shot("05-watchlist");
    await page.getByTestId("show-all").click();

    // a shared link opens on its instrument and range
    await page.goto(`${rt.outputs.webUrl!}/?instrument=102&range=1h`);
    await page.getByTestId("instrument-list").waitFor({ timeout: 30_000 });
    await expect.poll(() => chart.getAttribute("data-instrument")).toBe("102");
    expect(await page.getByTestId("range-1h").getAttribute("aria-pressed")).toBe("true");
  });

  it("keeps the session across a reload", async () => {
    await page.reload();
    await page.getByTestId("instrument-list").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("signin-form").count()).toBe(0);
  });

  it("with the API stopped shows its error state, and recovers when it returns", async () => {
    await rt.stopApi();
    const banner = page.getByTestId("api-error");
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.getAttribute("role")).toBe("alert");
    expect(await page.getByTestId("status").getAttribute("data-status")).toBe("offline");
    // the last prices stay on screen
    expect(await page.getByTestId("instrument-101").getByTestId("price").textContent()).toBe(
      price(11_111),
    );
    await shot("06-api-down");

    await rt.startApi();
    await banner.waitFor({ state: "detached", timeout: 30_000 });
    expect(await page.getByTestId("status").getAttribute("data-status")).not.toBe("offline");
    await put([{ instrument: "101", cents: 11_500 }]);
    await expect
      .poll(() => page.getByTestId("instrument-101").getByTestId("price").textContent(), {
        timeout: 15_000,
      })
      .toBe(price(11_500));
    expect(await page.getByTestId("status").getAttribute("data-status")).toBe("live");
    await shot("07-api-back");
  });

  it("lays out for a phone", async () => {
    // The pointer was last at the wide chart's right end: the tooltip, hidden but still placed
    // for that point, must not widen the narrow page.
    const surface = (await page.locator(".recharts-surface").boundingBox())!;
    await page.mouse.move(surface.x + surface.width - 30, surface.y + surface.height / 2);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId("instrument-101").waitFor();
    const overflow = await page.evaluate(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    expect(overflow).toBe(0);
    expect(await seriousViolationsInBothSchemes(page)).toEqual([]);
    await shot("08-phone");
    await page.setViewportSize({ width: 1360, height: 900 });
  });

  it("signs out", async () => {
    await page.getByTestId("signout").click();
    await page.getByTestId("signin-form").waitFor();
    expect(await page.getByTestId("signin-notice").textContent()).toMatch(/signed out/);
    await page.reload();
    await page.getByTestId("signin-form").waitFor({ timeout: 30_000 });
    await shot("09-signed-out");
  });

  it("a session the user pool no longer honours returns to sign-in with a message", async () => {
    await signIn(rt.outputs.demoUser.password);
    await page.getByTestId("instrument-list").waitFor({ timeout: 30_000 });
    // Spoil the stored tokens: the API refuses the ID token, and the refresh token is refused too.
    await page.evaluate(`(() => {
      for (const key of Object.keys(localStorage)) {
        if (key.endsWith(".idToken")) localStorage.setItem(key, localStorage.getItem(key).slice(0, -8) + "AAAAAAAA");
        if (key.endsWith(".refreshToken")) localStorage.setItem(key, "revoked");
      }
    })()`);
    const notice = page.getByTestId("signin-notice");
    await notice.waitFor({ timeout: 20_000 });
    expect(await notice.textContent()).toMatch(/sign in again/i);
    await shot("10-session-ended");
  });
});
