import { describe, expect, it } from "vitest";
import { toLine } from "./delivery.js";

describe("archive lines", () => {
  it("appends a newline only to records without one", () => {
    expect(toLine(Buffer.from("a")).toString()).toBe("a\n");
    expect(toLine(Buffer.from("a\n")).toString()).toBe("a\n");
    expect(toLine(new Uint8Array()).toString()).toBe("\n");
  });
});
