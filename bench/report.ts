import { readFileSync, writeFileSync, existsSync } from "node:fs";

/**
 * BENCHMARKS.md is partly generated: text between `<!-- bench:NAME:start -->` and
 * `<!-- bench:NAME:end -->` is replaced on every run; everything else (the reading, the
 * dashboard figures) is written by hand and kept.
 */

export function replaceSection(doc: string, name: string, body: string): string {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  const block = `${start}\n${body.trim()}\n${end}`;
  if (i === -1 || j === -1 || j < i) return `${doc.trimEnd()}\n\n${block}\n`;
  return doc.slice(0, i) + block + doc.slice(j + end.length);
}

export function updateDocument(path: string, sections: Record<string, string>, skeleton: string): void {
  let doc = existsSync(path) ? readFileSync(path, "utf8") : skeleton;
  for (const [name, body] of Object.entries(sections)) doc = replaceSection(doc, name, body);
  writeFileSync(path, doc);
}

/** A markdown table from a header and rows. */
export function table(header: string[], rows: (string | number)[][], align?: ("l" | "r")[]): string {
  const a = align ?? header.map((_, i) => (i === 0 ? "l" : "r"));
  return [
    `| ${header.join(" | ")} |`,
    `| ${a.map((x) => (x === "r" ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}
