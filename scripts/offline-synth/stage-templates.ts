/**
 * Helpers for the infrastructure tests (`npx vitest run --project infra`). Each test file
 * builds one App (SST keeps state in module globals) with `synthStage`, then inspects the
 * CloudFormation templates of its stacks.
 */
import { Aspects, Stack } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { getStack, type App } from "sst/constructs";
import { afterAll, beforeAll, vi } from "vitest";
import type { FunctionalStack } from "sst/constructs/FunctionalStack.js";
import { STREAMS, type StreamSpec } from "@tickstream/core/resources";
import { NAG_RULES } from "../../stacks/nag";
import { buildApp, removeTemporaryDirs } from "./app";

export interface Synthesized {
  app: App;
  /** The template of one stack. */
  template(stack: FunctionalStack<unknown>): Template;
  /** Every stack's template, keyed by stack id (e.g. "StorageStack"). */
  all(): Record<string, Template>;
  /** Deletes the temporary build directories (call in afterAll). */
  dispose(): void;
}

/**
 * Builds the whole app for `stage` (functions keep SST's placeholder code). With `nag`, the
 * cdk-nag rule packs run at synthesis (see `nagFindings`).
 */
export async function synthStage(
  stage: string,
  opts: { nag?: boolean } = {},
): Promise<Synthesized> {
  const app = await buildApp({ stage, privateWorkDir: true, nag: opts.nag });
  const cache = new Map<string, Template>();
  const templateOf = (id: string, make: () => Template) => {
    if (!cache.has(id)) cache.set(id, make());
    return cache.get(id)!;
  };
  return {
    app,
    template: (fn) => {
      const stack = getStack(fn);
      return templateOf(stack.node.id, () => Template.fromStack(stack));
    },
    all: () => {
      const out: Record<string, Template> = {};
      for (const child of app.node.children) {
        if ("templateFile" in child && "stackName" in child) {
          out[child.node.id] = templateOf(child.node.id, () =>
            Template.fromStack(child as Parameters<typeof Template.fromStack>[0]),
          );
        }
      }
      return out;
    },
    dispose: removeTemporaryDirs,
  };
}

/**
 * The stage of one test file: built before its tests (with `env` set for the build and until
 * they end), disposed after them. The result is usable inside tests and hooks, not at load time.
 */
export function synthStageForFile(
  stage: string,
  opts: { nag?: boolean; env?: Record<string, string> } = {},
): Synthesized {
  let built: Synthesized | undefined;
  beforeAll(async () => {
    for (const [name, value] of Object.entries(opts.env ?? {})) vi.stubEnv(name, value);
    built = await synthStage(stage, { nag: opts.nag });
  });
  afterAll(() => {
    built?.dispose();
    if (opts.env) vi.unstubAllEnvs();
  });
  const ready = () => {
    if (!built) throw new Error(`stage ${stage} is not built yet (use it inside a test)`);
    return built;
  };
  return {
    get app() {
      return ready().app;
    },
    template: (stack) => ready().template(stack),
    all: () => ready().all(),
    dispose: () => built?.dispose(),
  };
}

/**
 * Every unsuppressed cdk-nag finding (errors and warnings of the AwsSolutions and Serverless
 * packs) of every stack of an app built with `nag: true`, as "<level> <path>: <rule>" lines.
 */
export function nagFindings(app: App): string[] {
  // Without the packs there would be no findings at all: refuse to report "none" then.
  const aspects = Aspects.of(app).all;
  for (const pack of [AwsSolutionsChecks, ServerlessChecks]) {
    if (!aspects.some((a) => a instanceof pack)) {
      throw new Error(`${pack.name} is not applied: build the app with { nag: true }`);
    }
  }
  const rule = Match.stringLikeRegexp(NAG_RULES);
  return app.node.children.filter(Stack.isStack).flatMap((stack) => {
    const annotations = Annotations.fromStack(stack);
    return [
      ...annotations.findError("*", rule).map((m) => ["error", m] as const),
      ...annotations.findWarning("*", rule).map((m) => ["warning", m] as const),
    ].map(([level, m]) => `${level} ${m.id}: ${String(m.entry.data).split("\n")[0]}`);
  });
}

export type Resource = {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
};

/** Resources of one type in a template, by logical id. */
export function resourcesOf(t: Template, type: string): Record<string, Resource> {
  return t.findResources(type) as Record<string, Resource>;
}

/** The one resource of a type whose logical id starts with `prefix`. */
export function resourceNamed(t: Template, type: string, prefix: string): [string, Resource] {
  const hits = Object.entries(resourcesOf(t, type)).filter(([id]) => id.startsWith(prefix));
  if (hits.length !== 1) {
    throw new Error(
      `expected one ${type} named ${prefix}*, found ${hits.map(([id]) => id).join(", ") || "none"}`,
    );
  }
  return hits[0]!;
}

/** The environment variables of the one function whose logical id starts with `prefix`. */
export function functionEnv(t: Template, prefix: string): Record<string, unknown> {
  const [, fn] = resourceNamed(t, "AWS::Lambda::Function", prefix);
  return (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
}

/** Each described stream with its resource in the stream stack's template. */
export function streamResources(t: Template): [StreamSpec, Resource][] {
  return Object.values(STREAMS).map((spec) => [
    spec,
    resourceNamed(t, "AWS::Kinesis::Stream", `${spec.id}Stream`)[1],
  ]);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
}

/** Every IAM statement in a template: inline role policies and AWS::IAM::Policy documents. */
export function iamStatements(t: Template): { owner: string; statement: Statement }[] {
  const out: { owner: string; statement: Statement }[] = [];
  const add = (owner: string, doc: unknown) => {
    const statements = (doc as { Statement?: Statement | Statement[] } | undefined)?.Statement;
    for (const s of ([] as Statement[]).concat(statements ?? [])) out.push({ owner, statement: s });
  };
  for (const [id, r] of Object.entries(resourcesOf(t, "AWS::IAM::Policy"))) {
    add(id, r.Properties?.PolicyDocument);
  }
  for (const [id, r] of Object.entries(resourcesOf(t, "AWS::IAM::Role"))) {
    for (const p of (r.Properties?.Policies as { PolicyDocument: unknown }[] | undefined) ?? []) {
      add(id, p.PolicyDocument);
    }
  }
  return out;
}

export function actionsOf(s: Statement): string[] {
  return ([] as string[]).concat(s.Action);
}

/** Allow statements whose action is "*" or a whole service ("dynamodb:*", "s3:*", ...). */
export function wildcardGrants(t: Template): string[] {
  return iamStatements(t)
    .filter(({ statement }) => statement.Effect === "Allow")
    .flatMap(({ owner, statement }) =>
      actionsOf(statement)
        .filter((a) => a === "*" || /^[a-z0-9-]+:\*$/i.test(a))
        .map((a) => `${owner}: ${a}`),
    );
}

/** Allow actions granted to the role whose logical id starts with `rolePrefix`. */
export function actionsGrantedTo(t: Template, rolePrefix: string): string[] {
  const [roleId] = resourceNamed(t, "AWS::IAM::Role", rolePrefix);
  const policies = Object.entries(resourcesOf(t, "AWS::IAM::Policy")).filter(([, p]) =>
    ((p.Properties?.Roles as { Ref?: string }[] | undefined) ?? []).some((r) => r.Ref === roleId),
  );
  return policies
    .flatMap(([id]) => iamStatements(t).filter((s) => s.owner === id))
    .filter(({ statement }) => statement.Effect === "Allow")
    .flatMap(({ statement }) => actionsOf(statement))
    .sort();
}

/** Metadata SST records for each construct of a stack (function handlers, among others). */
export function sstMetadata(
  t: Template,
): { id: string; type: string; data: Record<string, unknown> }[] {
  const out = t.toJSON().Outputs?.SSTMetadata?.Value as unknown;
  const text = typeof out === "string" ? out : flattenJoin(out);
  return (
    JSON.parse(text) as { metadata: { id: string; type: string; data: Record<string, unknown> }[] }
  ).metadata;
}

/** Renders an Fn::Join with tokens replaced by "<token>", to read JSON built at deploy time. */
export function flattenJoin(value: unknown): string {
  if (typeof value === "string") return value;
  const join = (value as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
  if (!join) return "<token>";
  return join[1].map((p) => (typeof p === "string" ? p : "<token>")).join(join[0]);
}
