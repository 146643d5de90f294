import type { Benchmark } from "../types.js";

export const pipeline: Benchmark<{ pending: true }> = {
  name: "pipeline",
  title: "pending",
  async run() {
    throw new Error("not written yet");
  },
  render(r) {
    return `_Not measured: ${r.error ?? "pending"}_`;
  },
};
