import type { Benchmark } from "../types.js";

export const cost: Benchmark<{ pending: true }> = {
  name: "cost",
  title: "pending",
  async run() {
    throw new Error("not written yet");
  },
  render(r) {
    return `_Not measured: ${r.error ?? "pending"}_`;
  },
};
