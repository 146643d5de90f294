import { describe, expect, it } from "vitest";
import { FunctionTimeoutError, invokeFunction, type LocalFunction } from "../lambda.js";
import { silentLog, waitUntil } from "../timing.js";
import { Schedule } from "./schedule.js";

const fn = (handler: LocalFunction["handler"], timeoutMs = 100): LocalFunction => ({
  id: "Test",
  functionName: "tickstream-local-Test",
  timeoutMs,
  handler,
});

describe("a function's time limit", () => {
  it("fails an invocation that runs past it, as Lambda reports it", async () => {
    const err = await invokeFunction(
      fn(() => new Promise(() => undefined), 50),
      {},
      "us-east-1",
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FunctionTimeoutError);
    expect((err as Error).message).toBe("Task timed out after 0.05 seconds");
  });

  it("passes results and errors of an invocation within it through, and counts down the context", async () => {
    let remaining = -1;
    await expect(
      invokeFunction(
        fn((_e, context) => {
          remaining = context.getRemainingTimeInMillis();
          return { ok: 1 };
        }, 5_000),
        {},
        "us-east-1",
      ),
    ).resolves.toEqual({ ok: 1 });
    expect(remaining).toBeGreaterThan(4_000);
    expect(remaining).toBeLessThanOrEqual(5_000);
    await expect(
      invokeFunction(
        fn(() => {
          throw new Error("boom");
        }),
        {},
        "us-east-1",
      ),
    ).rejects.toThrow("boom");
  });

  it("lets the schedule go on when a run never returns", async () => {
    let calls = 0;
    const schedule = new Schedule(
      fn(() => {
        calls += 1;
        return calls === 1 ? new Promise(() => undefined) : undefined;
      }, 100),
      10,
      "us-east-1",
      silentLog,
    );
    schedule.start();
    await waitUntil(() => calls >= 3, "the schedule to run again", 5_000);
    await schedule.stop();
    expect(schedule.errors).toBe(1);
  });
});
