import { genTicks, packedEvents } from "./records.js";
import { loadInProcess } from "./suites/inprocess.js";
const { consumers } = await loadInProcess();
const kind = process.argv[2] ?? "latest";
const [format, mode] = (process.argv[3] ?? "pipe:lines").split(":") as ["pipe" | "json", "lines" | "kpl" | "single"];
const c = consumers.find((x) => x.kind === kind)!;
const ticks = genTicks({ count: 100_000, instruments: 10, stepMs: 1, seed: 7 });
const batches = packedEvents(ticks, format, mode === "single" ? { mode } : { mode, ticksPerRecord: 100 }, 500).map((e) => e.Records);
const impl = c.make();
const rates: number[] = [];
for (let p = 0; p < 80; p++) {
  impl.reset?.();
  const t0 = process.hrtime.bigint();
  for (const b of batches) impl.consume(b);
  rates.push(100_000 / (Number(process.hrtime.bigint() - t0) / 1e9));
}
rates.sort((a, b) => a - b);
console.log(kind, format, mode, Math.round(rates[40]! / 1000), "k/s");
