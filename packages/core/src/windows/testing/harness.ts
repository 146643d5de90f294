import type { WindowConfig } from "../../config.js";
import { WindowEngine, type SequencedTick } from "../engine.js";
import { MemoryWindowStore } from "../memory-store.js";
import { MemoryShardLister } from "../shard-lister.js";
import { windowQueries } from "../query.js";
import { FaultySink, faultyStore, prng, type FaultMode, type FaultPlan } from "./faults.js";
import { ReferenceWindows } from "./reference.js";

/**
 * Runs a scenario through the engine (with the in-memory store, optional injected faults and
 * Kinesis' retry rule) and through the reference model, for the property tests.
 */
/**
 * One step of a scenario: a batch of ticks on a shard, a replay of the `index`-th batch, the
 * clock moving on, a timer run or a restart.
 */
export type ScenarioOp<Shard, Ticks> =
  | { kind: "batch"; shard: Shard; ticks: Ticks }
  | { kind: "replay"; index: number }
  | { kind: "clock"; ms: number }
  | { kind: "timer" }
  | { kind: "restart" };

export type Op = ScenarioOp<string, SequencedTick[]>;

export interface ScenarioOptions {
  /** Probability that a write (or put) fails, while faults are on. */
  faultRate?: number;
  seed?: number;
  /** Attempts of one delivery that may see faults; later attempts run clean. */
  faultyAttempts?: number;
  leaseMs?: number;
  /** Engine round sizes (small ones exercise the rounds). */
  windowsPerRound?: number;
  recordsPerRound?: number;
  /** Instrument buckets (few: several instruments share a pane item). */
  buckets?: number;
  /**
   * The stream's shards as the engine's ShardLister answers (default: every shard the ops
   * deliver from); null: no lister, only shards that delivered a batch count.
   */
  listedShards?: readonly string[] | null;
  /** Called after each op with no faults pending (for checks mid-run). */
  afterOp?: (ctx: { engineLate: number; reference: ReferenceWindows; store: MemoryWindowStore; now: number }) => Promise<void>;
}

export interface ScenarioResult {
  reference: ReferenceWindows;
  memory: MemoryWindowStore;
  records: FaultySink["records"];
  /** Late ticks the engine counted, over every attempt. */
  engineLate: number;
  /** Faults that may leave a put record unrecorded (so it may be put again after the lease). */
  repeatableFaults: number;
  totalFaults: number;
  now: number;
  config: WindowConfig;
}

export async function runScenario(config: WindowConfig, ops: readonly Op[], options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const rate = options.faultRate ?? 0;
  const random = prng(options.seed ?? 1);
  const leaseMs = options.leaseMs ?? 60_000;
  let faultsOn = false;
  const plan: FaultPlan = (): FaultMode => {
    if (!faultsOn || rate === 0) return "none";
    const r = random();
    return r < rate / 2 ? "before" : r < rate ? "after" : "none";
  };
  const memory = new MemoryWindowStore();
  const { store, faults } = faultyStore(memory, () => plan);
  const sink = new FaultySink(() => plan);
  let now = 10_000_000;
  const clock = (): number => now;
  const listed =
    options.listedShards === undefined
      ? [...new Set(ops.flatMap((o) => (o.kind === "batch" ? [o.shard] : [])))].sort()
      : options.listedShards;
  const shardLister = listed === null ? undefined : new MemoryShardLister([...listed]);
  // No real-time budget: the budgets count Date.now(), not `clock`, so a stall of a loaded
  // machine would fail a batch or stop an emission that the reference model expects to happen.
  const newEngine = (): WindowEngine => new WindowEngine({
      store,
      sink,
      config,
      clock,
      budgetMs: Number.POSITIVE_INFINITY,
      leaseMs,
      concurrency: 4,
      shardLister,
      windowsPerRound: options.windowsPerRound,
      recordsPerRound: options.recordsPerRound,
      buckets: options.buckets,
    });
  let engine = newEngine();
  const reference = new ReferenceWindows(config, listed ?? []);
  const batches: { shard: string; ticks: SequencedTick[] }[] = [];
  let engineLate = 0;

  const deliver = async (shard: string, ticks: SequencedTick[]): Promise<void> => {
    // The event source mapping: on reported failures, send again from the lowest failed record.
    let records = ticks;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 50) throw new Error("batch never succeeded");
      faultsOn = attempt < (options.faultyAttempts ?? 3);
      const outcome = await engine.processBatch(shard, records);
      faultsOn = false;
      engineLate += outcome.late;
      if (outcome.retryWholeBatch) continue;
      if (outcome.failed.length === 0) return;
      records = records.slice(Math.min(...outcome.failed));

    }
  };

  for (const op of ops) {
    switch (op.kind) {
      case "batch":
        batches.push({ shard: op.shard, ticks: op.ticks });
        reference.batch(op.shard, op.ticks, now);
        await deliver(op.shard, op.ticks);
        break;
      case "replay": {
        const b = batches[op.index % Math.max(1, batches.length)];
        if (!b) break;
        reference.batch(b.shard, b.ticks, now);
        await deliver(b.shard, b.ticks);
        break;
      }
      case "clock":
        now += op.ms;
        break;
      case "timer":
        reference.timer(now);
        faultsOn = true;
        await engine.closeDue().catch(() => undefined);
        faultsOn = false;
        break;
      case "restart":
        engine = newEngine();
        break;
    }
    if (options.afterOp && rate === 0) await options.afterOp({ engineLate, reference, store: memory, now });
  }

  // Settle: every shard idle (timer runs an idle timeout apart: the consumer keeps running, so
  // the idle clocks run), then every lease expired, then the timer twice without faults.
  for (let i = 0; i < 2; i++) {
    now += config.idleTimeoutMs + 1;
    reference.timer(now);
    await engine.closeDue();
  }
  now += Math.max(config.idleTimeoutMs, leaseMs) + 1;
  reference.timer(now);
  await engine.closeDue();
  await engine.closeDue();

  const repeatable = (faults.get("markEmitted:before") ?? 0) + sink.faults;
  let total = sink.faults;
  for (const n of faults.values()) total += n;
  return { reference, memory, records: sink.records, engineLate, repeatableFaults: repeatable, totalFaults: total, now, config };
}

/** The API's answers for every instrument over the whole range, from the engine's store. */
export async function apiView(memory: MemoryWindowStore, config: WindowConfig, instruments: readonly string[], from: number, to: number, buckets?: number) {
  const q = windowQueries({ store: memory, config, buckets });
  const step = config.windowSlideMs * 3;
  const out: Record<string, { windows: unknown; series: unknown; stepped: unknown }> = {};
  for (const i of instruments) {
    out[i] = { windows: await q.queryWindows(i, from, to), series: await q.querySeries(i, from, to), stepped: await q.querySeries(i, from, to, step) };
  }
  return out;
}

export function referenceView(reference: ReferenceWindows, config: WindowConfig, instruments: readonly string[], from: number, to: number) {
  const step = config.windowSlideMs * 3;
  const out: Record<string, { windows: unknown; series: unknown; stepped: unknown }> = {};
  for (const i of instruments) {
    out[i] = { windows: reference.queryWindows(i, from, to), series: reference.querySeries(i, from, to), stepped: reference.querySeries(i, from, to, step) };
  }
  return out;
}
