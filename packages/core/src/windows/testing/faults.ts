import type { SinkRecord, WindowSink } from "../emitter.js";
import type { WindowStore } from "../store.js";

/**
 * Fault injection for the window store and sink: a write fails either before it is applied
 * (the request never reached the table) or after (it was applied but the answer was lost, as
 * with a timeout). Reads never fail here; a failing read behaves like "before".
 *
 * The activity bookkeeping (recordActivity, noteShard) is left out: losing one of those writes
 * only keeps shards active longer (the safe side: a later watermark), which the reference
 * model cannot foresee; engine.protocol.test.ts covers it on its own.
 */
export type FaultMode = "none" | "before" | "after";
export type FaultPlan = (operation: string) => FaultMode;

export class InjectedFault extends Error {
  constructor(operation: string, mode: FaultMode) {
    super(`injected ${mode} fault in ${operation}`);
    this.name = "InjectedFault";
  }
}

const WRITES = [
  "raiseTarget",
  "raiseWatermark",
  "raiseEmittedThrough",
  "recordShard",
  "touchShard",
  "reserve",
  "clearReservation",
  "writeShardPane",
  "fenceShardPanes",
  "putResults",
  "claimEmission",
  "markEmitted",
  "releaseClaim",
] as const;

/** Wraps a store; `plan` decides per write call. Counts faults by operation and mode. */
export function faultyStore<S extends WindowStore>(
  inner: S,
  plan: () => FaultPlan,
): { store: WindowStore; faults: Map<string, number> } {
  const faults = new Map<string, number>();
  const handler: ProxyHandler<S> = {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      if (!(WRITES as readonly (string | symbol)[]).includes(prop)) return value.bind(target);
      const name = String(prop);
      return async (...args: unknown[]) => {
        const mode = plan()(name);
        if (mode === "before") {
          faults.set(`${name}:before`, (faults.get(`${name}:before`) ?? 0) + 1);
          throw new InjectedFault(name, mode);
        }
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (mode === "after") {
          faults.set(`${name}:after`, (faults.get(`${name}:after`) ?? 0) + 1);
          throw new InjectedFault(name, mode);
        }
        return result;
      };
    },
  };
  return { store: new Proxy(inner, handler) as WindowStore, faults };
}

/** A sink that records what was put, with the same fault plan ("after" = put, answer lost). */
export class FaultySink implements WindowSink {
  readonly records: SinkRecord[] = [];
  faults = 0;
  /** Faults that may leave a put record unrecorded (and so repeat it after the lease). */
  constructor(private readonly plan: () => FaultPlan) {}
  async put(records: readonly SinkRecord[]): Promise<number[]> {
    const mode = this.plan()("put");
    if (mode === "before") throw new InjectedFault("put", mode);
    this.records.push(...records.map((r) => ({ ...r })));
    if (mode === "after") {
      this.faults++;
      throw new InjectedFault("put", mode);
    }
    return [];
  }
}

/** A seeded random source, so that fast-check can shrink fault schedules. */
export { seededRandom as prng } from "../../random.js";
