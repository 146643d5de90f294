import type { Results } from "../types.js";

/** The generated head of BENCHMARKS.md: the machine, the command, the date. */
export function header(results: Results): string {
  const metas = Object.entries(results.sections).map(([name, s]) => ({ name, ...s.meta }));
  const m = metas.map((x) => x.machine).find(Boolean);
  const last = results.lastRun ?? {
    command: metas[metas.length - 1]?.command ?? "npm run bench",
    finishedAt: results.updatedAt,
    wallSeconds: metas.reduce((a, x) => a + x.wallSeconds, 0),
  };
  const lines = [`Last run: \`${last.command}\`, finished ${last.finishedAt}, ${last.wallSeconds.toFixed(0)} s wall time.`, ""];
  if (m) {
    lines.push(
      `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB memory, Node ${m.node}, ${m.platform} (kernel ${m.kernel}). Shared with other work and noisy (load averages below): every figure is a median over repetitions with its spread, and each is compared with a baseline measured in the same run.`,
      "",
    );
  }
  lines.push("| benchmark | command | finished | quick | wall time | load average (1 / 5 / 15 min) at its end |", "| --- | --- | --- | --- | ---: | --- |");
  for (const x of metas) lines.push(`| ${x.name} | \`${x.command}\` | ${x.ranAt} | ${x.quick ? "yes" : "no"} | ${x.wallSeconds.toFixed(0)} s | ${x.machine.loadAverage.join(" / ")} |`);
  return lines.join("\n");
}

/** BENCHMARKS.md as first written; later runs replace only the generated blocks. */
export function skeleton(): string {
  const block = (name: string) => `<!-- bench:${name}:start -->\n<!-- bench:${name}:end -->`;
  return `# Benchmarks

\`npm run bench\` runs every benchmark and writes \`bench/results.json\` and the generated parts
of this page; \`npm run bench -- --quick\` is the short form, \`npm run bench -- --only NAME\`
runs one (\`throughput\`, \`writes\`, \`pipeline\`, \`api\`, \`cost\`). Benchmarks are not tests:
nothing here fails a build. Figures are what the last run measured on the machine it names.

${block("header")}

## 1. Decode and aggregate throughput (in process)

${block("throughput")}

## 2. Write amplification (DynamoDB requests and write units per 1,000 ticks)

${block("writes")}

## 3. Local pipeline end to end

${block("pipeline")}

## 4. API under load

${block("api")}

## 5. Cost model: 1,000 ticks/s for 30 days

${block("cost")}

## Dashboard

Figures from the dashboard's own benchmarks (\`bench/web-*.ts\`):

| figure | value | command |
| --- | ---: | --- |
| first-load JS (gzip) | _to be filled_ | _to be filled_ |
| tick-to-chart latency (p50 / p95) | _to be filled_ | _to be filled_ |
`;
}
