import { startLocal } from "./runtime.js";
import { outsideClients, putData, makeTicks, idToken, getJson, expectedWindows } from "./testing/scenario.js";
const WINDOW = { sizeMs: 6_000, slideMs: 2_000, allowedLatenessMs: 1_000, idleTimeoutMs: 60_000 };
const restart = process.argv.includes("--restart");
const rt = await startLocal({ dataDir: `/tmp/exp/p1-${Date.now()}`, ports: "auto", web: false, generator: false, quiet: false, onProgress: () => undefined, functionLogLevel: "WARN", window: WINDOW,
  poller: { batchSize: 100, batchingWindowMs: 0, idlePollMs: 50 }, archive: { bufferIntervalMs: 200 } });
const o = outsideClients(rt.outputs);
const startTime = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
const ticks = makeTicks({ count: 4000, instruments: ["1","2","3","4","5","6","7","8"], startTime, stepMs: 7, seed: 7 });
await putData(o.kinesis, rt.outputs.pricesStream, ticks.map((t) => ({ data: t.data, key: t.instrument })));
await rt.waitForConsumers();
await new Promise((r) => setTimeout(r, 2000));
const tok = await idToken(rt.outputs, o.cognito);
let bad = 0;
for (const inst of ["1","2","3","4","5","6","7","8"]) {
  const exp = expectedWindows(ticks, inst, WINDOW.sizeMs, WINDOW.slideMs);
  const got = await getJson<any[]>(rt.outputs, `/instruments/${inst}/windows?from=${exp[0]!.windowStart}&to=${exp.at(-1)!.windowStart + 1}`, tok);
  exp.forEach((e, i) => { const g = got.body[i]; if (!g || g.max !== e.max || g.windowStart !== e.windowStart) { bad++; console.log(inst, JSON.stringify(e), JSON.stringify(g)); } });
}
console.log("mismatches", bad, JSON.stringify(rt.status().consumers.WindowsConsumer.map((s) => [s.shardId, s.invocations])));
o.destroy(); await rt.stop();
