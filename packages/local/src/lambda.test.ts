import { describe, expect, it } from "vitest";
import { FUNCTIONS, bindingEnv, type FunctionKey } from "@tickstream/core/resources";
import { assertBindings, lambdaContext, localFunctionSettings } from "./lambda.js";

describe("local functions", () => {
  it("run with the time limit and memory of the resource description, as deployed", () => {
    for (const key of Object.keys(FUNCTIONS) as FunctionKey[]) {
      const spec = FUNCTIONS[key];
      const local = localFunctionSettings(spec);
      expect(local, key).toEqual({
        id: spec.id,
        functionName: `tickstream-local-${spec.id}`,
        timeoutMs: spec.timeoutSeconds * 1000,
        memorySizeMiB: spec.memorySizeMiB,
      });
      const context = lambdaContext(local, "us-east-1");
      expect(context.memoryLimitInMB, key).toBe(String(spec.memorySizeMiB));
      expect(context.getRemainingTimeInMillis(), key).toBeLessThanOrEqual(local.timeoutMs);
      expect(context.getRemainingTimeInMillis(), key).toBeGreaterThan(local.timeoutMs - 60_000);
    }
  });

  it("refuse to start unless every binding of every function points somewhere", () => {
    const env = Object.fromEntries(
      Object.values(FUNCTIONS).flatMap((spec) => spec.bindings.map((b) => [bindingEnv(b), "x"])),
    );
    expect(() => assertBindings(env)).not.toThrow();
    const archive = FUNCTIONS.latest.bindings[1];
    expect(bindingEnv(archive)).toBe("SST_Bucket_bucketName_Archive");
    const { [bindingEnv(archive)]: _, ...withoutArchive } = env;
    expect(() => assertBindings(withoutArchive)).toThrow(
      /LatestConsumer binds Bucket Archive \(SST_Bucket_bucketName_Archive\)/,
    );
  });
});
