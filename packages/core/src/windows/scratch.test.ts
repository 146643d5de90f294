import { it } from "vitest";
import { runScenario } from "./testing/harness.js";
import { materialize } from "./testing/scenarios.js";
it("scratch", async () => {
  const [config, shards, instruments, raw, seed, rate] = JSON.parse(process.env.CE!);
  const ops = materialize(raw, shards, instruments);
  console.log(JSON.stringify(ops.map((o) => (o.kind === "batch" ? { ...o, ticks: o.ticks.map((t) => `${t.instrument}:${t.eventTime}:${t.pricesCents[0]}`) } : o))));
  const r = await runScenario(config, ops, { faultRate: rate, seed });
  console.log(JSON.stringify(r.memory.snapshot().finals), JSON.stringify(r.reference.closed()));
});
