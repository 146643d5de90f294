/**
 * The import rules of the repository, checked by dependency-cruiser (scripts/import-rules.test.ts):
 * no import circle anywhere, and every package imports only downwards:
 *
 *   web ──type-only──▶ core ◀── functions ◀── local ◀── tools
 *                       ▲                       │
 *   stacks ─────────────┘        testkit ◀──────┘ (and every package's tests)
 *
 * sst.config.ts imports the stacks; only the offline synth (scripts/offline-synth) imports
 * sst.config.ts, so no stack can import its own app. Nothing deployed or run locally imports
 * bench/ or scripts/.
 */
import { cruise, type IForbiddenRuleType, type IViolation } from "dependency-cruiser";

const TESTS = "\\.(test|int\\.test|e2e\\.test)\\.tsx?$|/testing/|/e2e/";

/** `packages/<name>/` as a path pattern. */
const pkg = (...names: string[]) => `^packages/(${names.join("|")})/`;

export const FORBIDDEN: IForbiddenRuleType[] = [
  { name: "no-circular", severity: "error", comment: "an import circle", from: {}, to: { circular: true } },
  {
    name: "core-is-the-bottom",
    severity: "error",
    comment: "core imports no other package (its tests may use the test kit)",
    from: { path: pkg("core"), pathNot: TESTS },
    to: { path: [pkg("functions", "local", "tools", "web", "testkit"), "^(stacks|scripts|bench|infra)/", "^sst\\.config\\.ts$"] },
  },
  {
    name: "core-tests-use-only-the-test-kit",
    severity: "error",
    from: { path: pkg("core") },
    to: { path: [pkg("functions", "local", "tools", "web"), "^(stacks|scripts|bench|infra)/"] },
  },
  {
    name: "functions-are-thin",
    severity: "error",
    comment: "handlers import core only (their tests may use the test kit)",
    from: { path: pkg("functions"), pathNot: TESTS },
    to: { path: [pkg("local", "tools", "web", "testkit"), "^(stacks|scripts|bench|infra)/"] },
  },
  {
    name: "testkit-below-the-runtimes",
    severity: "error",
    from: { path: pkg("testkit") },
    to: { path: [pkg("functions", "local", "tools", "web"), "^(stacks|scripts|bench|infra)/"] },
  },
  {
    name: "emulator-without-tools",
    severity: "error",
    comment: "the local emulator never imports the produce/consume/replay tools",
    from: { path: pkg("local") },
    to: { path: [pkg("tools", "web"), "^(stacks|scripts|bench|infra)/"] },
  },
  {
    name: "tools-no-web-or-infra",
    severity: "error",
    from: { path: pkg("tools") },
    to: { path: [pkg("web", "functions"), "^(stacks|scripts|bench|infra)/"] },
  },
  {
    name: "web-types-only",
    severity: "error",
    comment: "the dashboard takes only types from core (erased at build time); its browser tests may start the local runtime",
    from: { path: pkg("web"), pathNot: "^packages/web/e2e/" },
    to: { path: pkg("core", "functions", "local", "tools", "testkit"), dependencyTypesNot: ["type-only"] },
  },
  {
    name: "stacks-no-upward-import",
    severity: "error",
    comment: "stacks never import the app that imports them, nor anything but core (tests may use the offline synth)",
    from: { path: "^stacks/", pathNot: TESTS },
    to: { path: ["^sst\\.config\\.ts$", pkg("functions", "local", "tools", "web", "testkit"), "^(scripts|bench|infra)/"] },
  },
  {
    name: "app-config-only-for-synth",
    severity: "error",
    from: { pathNot: "^scripts/offline-synth/" },
    to: { path: "^sst\\.config\\.ts$" },
  },
];

export interface ImportCheck {
  modules: number;
  violations: IViolation[];
  /** Imports that resolved to no file: a rule cannot judge what it cannot see. */
  unresolved: string[];
}

/** Cruises `roots` (relative to `baseDir`) and returns every broken rule. */
export async function checkImports(roots: string[], baseDir: string, tsConfig = "tsconfig.json"): Promise<ImportCheck> {
  const result = await cruise(
    roots,
    {
      validate: true,
      ruleSet: { forbidden: FORBIDDEN },
      baseDir,
      doNotFollow: { path: "node_modules" },
      exclude: { path: "node_modules|\\.next|\\.sst|\\.open-next|cdk\\.out" },
      // Type-only imports count too: a circle of types is still a circle for the reader.
      tsPreCompilationDeps: true,
      tsConfig: { fileName: tsConfig },
      enhancedResolveOptions: {
        exportsFields: ["exports"],
        conditionNames: ["import", "require", "node", "default", "types"],
      },
    },
    undefined,
    undefined,
  );
  if (typeof result.output === "string") throw new Error("dependency-cruiser returned text, not a result");
  const { modules, summary } = result.output;
  const unresolved = modules.flatMap((m) =>
    m.dependencies.filter((d) => d.couldNotResolve && !d.coreModule).map((d) => `${m.source} -> ${d.module}`),
  );
  return { modules: modules.length, violations: summary.violations, unresolved };
}

export function describeViolation(v: IViolation): string {
  const cycle = v.cycle?.length ? ` (${v.cycle.map((c) => c.name).join(" -> ")})` : "";
  return `${v.rule.name}: ${v.from} -> ${v.to}${cycle}`;
}
