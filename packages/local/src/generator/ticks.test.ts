import { describe, expect, it } from "vitest";
import { decodeTickText } from "@tickstream/core/ticks/decode";
import { encodePipe } from "@tickstream/core/ticks/encode";
import { TickSource } from "./ticks.js";

describe("tick generator", () => {
  it("writes the Kinesis Data Generator's pipe format", () => {
    const line = encodePipe({
      instrument: "3",
      eventTime: Date.UTC(2026, 10, 22, 10),
      receivedAt: Date.UTC(2026, 10, 22, 10) + 5,
      level: 7,
      pricesCents: [12345, 12340],
    });
    expect(line).toBe(
      `session=20261122|sequence=${Date.UTC(2026, 10, 22, 10)}|reception=${Date.UTC(2026, 10, 22, 10) + 5}|instrument=3|l=7|price_0=12345|price_1=12340|`,
    );
    // and the consumers read it back as the tick it was
    const decoded = decodeTickText(line);
    expect(decoded).toMatchObject({
      ok: true,
      tick: { instrument: "3", pricesCents: [12345, 12340], level: 7 },
    });
  });

  it("walks prices in whole cents, per instrument, deterministically for a seed", () => {
    const a = new TickSource({ instruments: 10, seed: 1 });
    const b = new TickSource({ instruments: 10, seed: 1 });
    const now = Date.now();
    for (let i = 0; i < 500; i++) {
      const t = a.next(i % 10, now + i);
      expect(t).toEqual(b.next(i % 10, now + i));
      expect(t.instrument).toBe(String((i % 10) + 1));
      expect(t.pricesCents).toHaveLength(9);
      for (const p of t.pricesCents) expect(Number.isInteger(p) && p > 0).toBe(true);
      expect(decodeTickText(encodePipe(t)).ok).toBe(true);
      expect(t.eventTime).toBeLessThanOrEqual(now + i);
    }
  });
});
