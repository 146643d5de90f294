import { randomUUID } from "node:crypto";
import type { ScheduledEvent } from "aws-lambda";
import { LOCAL_ACCOUNT, invokeFunction, type LocalFunction } from "../lambda.js";
import { Waker, errorMessage, type Log } from "../timing.js";

/**
 * Invokes a function on a fixed interval with an EventBridge "Scheduled Event", as a schedule
 * rule does in AWS. Invocations never overlap: the next one waits for the previous to finish,
 * or for the function's time limit.
 */
export class Schedule {
  private stopping = false;
  private readonly waker = new Waker();
  private running: Promise<void> | undefined;
  invocations = 0;
  errors = 0;

  constructor(
    private readonly fn: LocalFunction,
    private readonly intervalMs: number,
    private readonly region: string,
    private readonly log: Log,
  ) {}

  event(): ScheduledEvent {
    return {
      version: "0",
      id: randomUUID(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: LOCAL_ACCOUNT,
      time: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      region: this.region,
      resources: [
        `arn:aws:events:${this.region}:${LOCAL_ACCOUNT}:rule/${this.fn.functionName}-schedule`,
      ],
      detail: {},
    };
  }

  start(): void {
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    let errorStreak = 0;
    while (!this.stopping) {
      const started = Date.now();
      try {
        await invokeFunction(this.fn, this.event(), this.region);
        errorStreak = 0;
      } catch (err) {
        this.errors += 1;
        // A failing timer would otherwise print every second.
        if (errorStreak++ % 30 === 0)
          this.log.warn(`${this.fn.id}: function error: ${errorMessage(err)}`);
      }
      this.invocations += 1;
      await this.waker.sleep(this.intervalMs - (Date.now() - started));
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.waker.wake();
    await this.running;
  }
}
