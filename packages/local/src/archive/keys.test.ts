import { describe, expect, it } from "vitest";
import { archiveObjectKey, hourPrefix } from "./keys.js";
import { toLine } from "./delivery.js";

describe("archive object keys and lines", () => {
  it("lays objects out as the Firehose delivery does, by UTC hour", () => {
    const t = Date.UTC(2026, 10, 22, 9, 5, 7);
    expect(hourPrefix(t)).toBe("2026/11/22/09/");
    expect(archiveObjectKey("raw/", "tickstream-prices-archive", t, "abc")).toBe(
      "raw/2026/11/22/09/tickstream-prices-archive-1-2026-11-22-09-05-07-abc.gz",
    );
  });

  it("appends a newline only to records without one", () => {
    expect(toLine(Buffer.from("a")).toString()).toBe("a\n");
    expect(toLine(Buffer.from("a\n")).toString()).toBe("a\n");
    expect(toLine(new Uint8Array()).toString()).toBe("\n");
  });
});
