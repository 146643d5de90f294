import type { Benchmark } from "../types.js";

export const api: Benchmark<{ pending: true }> = {
  name: "api",
  title: "pending",
  async run() {
    throw new Error("not written yet");
  },
  render(r) {
    return `_Not measured: ${r.error ?? "pending"}_`;
  },
};
