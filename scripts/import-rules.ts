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

/** Where no package may import from. */
const OUTSIDE_PACKAGES = "^(stacks|scripts|bench|infra)/";

/**
 * `from` (a package: all of it, or its tests exempted) imports none of `packages`, nor stacks,
 * scripts, bench or infra, nor `alsoNot`.
 */
function importsNone(
  name: string,
  from: { pkg: string; testsExempt?: boolean },
  packages: string[],
  more: { comment?: string; alsoNot?: string[] } = {},
): IForbiddenRuleType {
  return {
    name,
    severity: "error",
    ...(more.comment === undefined ? {} : { comment: more.comment }),
    from: { path: pkg(from.pkg), ...(from.testsExempt ? { pathNot: TESTS } : {}) },
    to: { path: [pkg(...packages), OUTSIDE_PACKAGES, ...(more.alsoNot ?? [])] },
  };
}

export const FORBIDDEN: IForbiddenRuleType[] = [
  { name: "no-circular", severity: "error", comment: "an import circle", from: {}, to: { circular: true } },
  importsNone("core-is-the-bottom", { pkg: "core", testsExempt: true }, ["functions", "local", "tools", "web", "testkit"], {
    comment: "core imports no other package (its tests may use the test kit)",
    alsoNot: ["^sst\\.config\\.ts$"],
  }),
  importsNone("core-tests-use-only-the-test-kit", { pkg: "core" }, ["functions", "local", "tools", "web"]),
  importsNone("functions-are-thin", { pkg: "functions", testsExempt: true }, ["local", "tools", "web", "testkit"], {
    comment: "handlers import core only (their tests may use the test kit)",
  }),
  importsNone("testkit-below-the-runtimes", { pkg: "testkit" }, ["functions", "local", "tools", "web"]),
  importsNone("emulator-without-tools", { pkg: "local" }, ["tools", "web"], {
    comment: "the local emulator never imports the produce/consume/replay tools",
  }),
  importsNone("tools-no-web-or-infra", { pkg: "tools" }, ["web", "functions"]),
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
