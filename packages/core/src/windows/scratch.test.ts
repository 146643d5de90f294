import fc from "fast-check";
import { it } from "vitest";
it("scratch", async () => {
  await fc.assert(fc.asyncProperty(fc.scheduler(), async (s) => {
    const log: string[] = [];
    const op = async (name: string) => { await s.schedule(Promise.resolve(), name); log.push(name); };
    const run = async (who: string) => { for (let i = 0; i < 5; i++) await op(`${who}${i}`); };
    await s.waitFor(Promise.all([run("a"), run("b")]));
    console.log(log.join(" "));
  }), { numRuns: 5 });
});
