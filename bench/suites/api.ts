import { createRequire } from "node:module";
import { fmtNum, summarize, type Summary } from "../stats.js";
import { table } from "../report.js";
import type { Benchmark, LocalOutputsLike, SectionResult } from "../types.js";
import { signIn } from "./local.js";
import { kinesisFor, pipeTick, putLines } from "./produce.js";

/**
 * Benchmark 4: the API under a fixed request rate (autocannon, coordinated omission corrected),
 * with a real Cognito token, against the local API host; `/health` (no auth, no table) is the
 * baseline. The load generator runs in this process, the back end in its own.
 */

interface AutocannonResult {
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  requests: { average: number; total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
}
type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, res: AutocannonResult) => void) => unknown;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

export interface RouteRun {
  p50: number;
  p99: number;
  max: number;
  requests: number;
  rps: number;
  errors: number;
}

export interface RouteRow {
  route: string;
  auth: boolean;
  runs: RouteRun[];
  p50: Summary;
  p99: Summary;
  errors: number;
  requests: number;
  p50Ratio: Summary | null;
}

export interface ApiData {
  rate: number;
  durationSeconds: number;
  connections: number;
  repetitions: number;
  instruments: number;
  rows: RouteRow[];
  tokenKind: string;
}

function load(url: string, headers: Record<string, string>, rate: number, duration: number, connections: number): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    autocannon({ url, headers, overallRate: rate, duration, connections, timeout: 10 }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

async function get(url: string, token?: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body };
}

/** Puts some minutes of ticks for ten instruments and waits until the API lists them. */
export async function seedApiData(o: LocalOutputsLike, token: string, instruments = 10): Promise<void> {
  const kin = kinesisFor(o);
  try {
    const now = Date.now();
    const lines: { data: string; key: string }[] = [];
    for (let i = 0; i < 3000; i++) {
      const inst = String(i % instruments);
      lines.push({ data: pipeTick(inst, now - 300_000 + i * 100, 10_000 + ((i * 37) % 20_000)), key: inst });
    }
    await putLines(kin, o.pricesStream, lines);
  } finally {
    kin.destroy();
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const r = await get(`${o.apiUrl}/instruments`, token);
    if (r.status === 200 && Array.isArray(r.body) && r.body.length >= instruments) return;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error("the API did not list the seeded instruments within 60 s");
}

export const api: Benchmark<ApiData> = {
  name: "api",
  title: "API latency at a fixed request rate (autocannon), vs /health",
  async run(ctx) {
    const h = await ctx.local();
    const o = h.outputs;
    const tokens = await signIn(o);
    let token = tokens.idToken;
    let tokenKind = "ID token";
    if ((await get(`${o.apiUrl}/instruments`, token)).status === 401) {
      token = tokens.accessToken;
      tokenKind = "access token";
    }
    const check = await get(`${o.apiUrl}/instruments`, token);
    if (check.status !== 200) throw new Error(`GET /instruments with a token answered ${check.status}`);
    const unauth = await get(`${o.apiUrl}/instruments`);
    if (unauth.status !== 401) throw new Error(`GET /instruments without a token answered ${unauth.status}, expected 401`);
    await seedApiData(o, token);
    const instruments = ((await get(`${o.apiUrl}/instruments`, token)).body as unknown[]).length;

    const rate = 200;
    const duration = ctx.quick ? 2 : 10;
    const repetitions = ctx.quick ? 1 : 3;
    const connections = 10;
    const routes = [
      { route: "GET /health", path: "/health", auth: false },
      { route: "GET /instruments", path: "/instruments", auth: true },
      { route: "GET /instruments/{id}/windows", path: "/instruments/3/windows", auth: true },
    ];
    const runs: Record<string, RouteRun[]> = Object.fromEntries(routes.map((r) => [r.route, []]));
    // A short warm-up of each route (JIT, JWKS cache, connections).
    for (const r of routes) await load(`${o.apiUrl}${r.path}`, r.auth ? { authorization: `Bearer ${token}` } : {}, rate, 1, connections);
    for (let rep = 0; rep < repetitions; rep++) {
      for (let k = 0; k < routes.length; k++) {
        const r = routes[(rep + k) % routes.length]!;
        const res = await load(`${o.apiUrl}${r.path}`, r.auth ? { authorization: `Bearer ${token}` } : {}, rate, duration, connections);
        const run: RouteRun = {
          p50: res.latency.p50,
          p99: res.latency.p99,
          max: res.latency.max,
          requests: res.requests.total,
          rps: res.requests.average,
          errors: res.errors + res.timeouts + res.non2xx,
        };
        runs[r.route]!.push(run);
        ctx.log(`  ${r.route}: p50 ${run.p50} ms, p99 ${run.p99} ms, ${fmtNum(run.rps)} req/s, ${run.errors} errors`);
      }
    }
    const health = runs["GET /health"]!;
    const rows: RouteRow[] = routes.map((r) => {
      const rr = runs[r.route]!;
      return {
        route: r.route,
        auth: r.auth,
        runs: rr,
        p50: summarize(rr.map((x) => x.p50)),
        p99: summarize(rr.map((x) => x.p99)),
        errors: rr.reduce((s, x) => s + x.errors, 0),
        requests: rr.reduce((s, x) => s + x.requests, 0),
        p50Ratio: r.route === "GET /health" ? null : summarize(rr.map((x, i) => x.p50 / Math.max(health[i]!.p50, 0.001))),
      };
    });
    return { rate, durationSeconds: duration, connections, repetitions, instruments, rows, tokenKind };
  },
  render(r: SectionResult<ApiData>) {
    if (!r.data) return `_Not measured: ${r.error}_`;
    const d = r.data;
    const rows = d.rows.map((x) => [
      x.route,
      x.auth ? "Bearer (Cognito)" : "none",
      `**${x.p50.median.toFixed(1)}** (${x.p50.min.toFixed(1)}–${x.p50.max.toFixed(1)})`,
      `**${x.p99.median.toFixed(1)}** (${x.p99.min.toFixed(1)}–${x.p99.max.toFixed(1)})`,
      x.p50Ratio ? `${x.p50Ratio.median.toFixed(2)}x` : "1 (baseline)",
      `${(x.runs.reduce((a, b) => a + b.rps, 0) / x.runs.length).toFixed(0)} / ${d.rate}`,
      x.requests.toLocaleString("en-US"),
      String(x.errors),
    ]);
    return [
      `Command: \`${r.meta.command}\` · ran ${r.meta.ranAt} · ${r.meta.wallSeconds.toFixed(0)} s.`,
      "",
      `autocannon, ${d.rate} requests/s overall for ${d.durationSeconds} s over ${d.connections} connections, ${d.repetitions} repetition(s) per route, routes interleaved, after a 1 s warm-up each; coordinated omission corrected. Token: the demo user's ${d.tokenKind} from cognito-local (USER_PASSWORD_AUTH), checked by the API host's JWT authorizer on every request. ${d.instruments} instruments in the Latest table; the windows route reads the default last hour of instrument 3. Latencies in ms: median over repetitions (min–max).`,
      "",
      table(["route", "auth", "p50 ms", "p99 ms", "p50 vs /health", "served / offered req/s", "requests", "errors + non-2xx"], rows, ["l", "l", "r", "r", "r", "r", "r", "r"]),
    ].join("\n");
  },
};
