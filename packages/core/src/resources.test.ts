import { describe, expect, it } from "vitest";
import {
  API,
  BUCKETS,
  FUNCTIONS,
  STREAMS,
  TABLES,
  WINDOWS_TIMER,
  bindingEnv,
} from "./resources.js";

describe("resource description", () => {
  it("names binding variables as sst/node reads them", () => {
    expect(bindingEnv(TABLES.latest)).toBe("SST_Table_tableName_Latest");
    expect(bindingEnv(TABLES.windows)).toBe("SST_Table_tableName_Windows");
    expect(bindingEnv(STREAMS.windows)).toBe("SST_KinesisStream_streamName_Windows");
    expect(bindingEnv(BUCKETS.archive)).toBe("SST_Bucket_bucketName_Archive");
  });

  it("binds functions only to described resources, each once", () => {
    const resources = new Set<unknown>([
      ...Object.values(TABLES),
      ...Object.values(STREAMS),
      ...Object.values(BUCKETS),
    ]);
    for (const [key, spec] of Object.entries(FUNCTIONS)) {
      for (const binding of spec.bindings) expect(resources.has(binding), key).toBe(true);
      const names = spec.bindings.map(bindingEnv);
      expect(new Set(names).size, key).toBe(names.length);
    }
  });

  it("keeps time limits under what calls the functions", () => {
    // API Gateway ends an integration at 30 s; the timer runs again after a minute.
    expect(API.timeoutSeconds).toBeLessThan(30);
    expect(WINDOWS_TIMER.scheduleExpression).toBe("rate(1 minute)");
    expect(WINDOWS_TIMER.timeoutSeconds).toBeLessThan(60);
    for (const [key, spec] of Object.entries(FUNCTIONS)) {
      expect(spec.timeoutSeconds, key).toBeGreaterThan(0);
      expect(spec.memorySizeMiB, key).toBeGreaterThanOrEqual(128);
    }
  });
});
