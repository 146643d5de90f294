import { describe, expect, it } from "vitest";
import { parseSynthArgs } from "./synth";

describe("parseSynthArgs", () => {
  it("reads the stage and options", () => {
    expect(parseSynthArgs(["--stage", "prod"])).toMatchObject({ stage: "prod", bundle: false });
    expect(parseSynthArgs(["--stage=pr-12", "--region", "eu-west-1", "--bundle"])).toMatchObject({
      stage: "pr-12",
      region: "eu-west-1",
      bundle: true,
    });
    expect(parseSynthArgs(["--stage", "dev", "--account", "210987654321"])).toMatchObject({
      account: "210987654321",
    });
    expect(parseSynthArgs(["--help"])).toBe("help");
  });

  it("rejects missing or malformed flags", () => {
    expect(() => parseSynthArgs([])).toThrow("--stage is required");
    expect(() => parseSynthArgs(["--stage", "9lives"])).toThrow("invalid stage name");
    expect(() => parseSynthArgs(["--stage", "dev", "--region", "mars"])).toThrow("invalid region");
    expect(() => parseSynthArgs(["--stage", "dev", "--account", "12"])).toThrow("invalid account");
    expect(() => parseSynthArgs(["--stage", "dev", "extra"])).toThrow("unexpected argument");
    expect(() => parseSynthArgs(["--stage", "dev", "--nope"])).toThrow();
  });
});
