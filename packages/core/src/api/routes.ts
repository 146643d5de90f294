import type { HealthBody, InstrumentItem, SeriesItem, WindowItem } from "./types.js";

/**
 * The HTTP API's routes, each spelled once. API Gateway (stacks/ApiStack.ts through
 * resources.ts), the router's dispatch, the local API host and the dashboard's client all read
 * this table. It imports nothing at run time, so that the dashboard can import its types.
 */

export interface RouteSpec {
  method: "GET";
  /** Path template as API Gateway v2 spells it: a segment `{name}` is a path parameter. */
  path: string;
  /** Open without a token (no authorizer). */
  public?: boolean;
}

/** The body each route answers with on success. */
export interface RouteBodies {
  health: HealthBody;
  instruments: InstrumentItem[];
  /** An alias of `instruments`. */
  data: InstrumentItem[];
  windows: WindowItem[];
  series: SeriesItem[];
}

export const ROUTES = {
  health: { method: "GET", path: "/health", public: true },
  instruments: { method: "GET", path: "/instruments" },
  data: { method: "GET", path: "/data" },
  windows: { method: "GET", path: "/instruments/{id}/windows" },
  series: { method: "GET", path: "/instruments/{id}/series" },
} as const satisfies { [N in keyof RouteBodies]: RouteSpec };

export type RouteName = keyof typeof ROUTES;
export type RoutePath<N extends RouteName = RouteName> = (typeof ROUTES)[N]["path"];
/** A route key as API Gateway v2 spells it, e.g. "GET /instruments/{id}/windows". */
export type RouteKeyOf<N extends RouteName> = `${(typeof ROUTES)[N]["method"]} ${RoutePath<N>}`;
export type RouteKey = { [N in RouteName]: RouteKeyOf<N> }[RouteName];

/** Names of the `{name}` segments of a path template. */
export type PathParamNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PathParamNames<Rest>
  : never;
export type PathParams<P extends string> = Record<PathParamNames<P>, string>;

export function routeKey<N extends RouteName>(name: N): RouteKeyOf<N> {
  const route: RouteSpec = ROUTES[name];
  return `${route.method} ${route.path}` as RouteKeyOf<N>;
}

export const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];
export const ROUTE_KEYS: readonly RouteKey[] = ROUTE_NAMES.map(routeKey);
export const PUBLIC_ROUTE_KEYS: readonly RouteKey[] = ROUTE_NAMES.filter(
  (name) => (ROUTES[name] as RouteSpec).public === true,
).map(routeKey);

const NAMES_BY_KEY: ReadonlyMap<string, RouteName> = new Map(
  ROUTE_NAMES.map((name) => [routeKey(name), name]),
);

/** The route a route key names, if it is one of the table's. */
export function routeNamed(key: string): RouteName | undefined {
  return NAMES_BY_KEY.get(key);
}

/** Fills a path template's parameters, URI-encoded: ("/instruments/{id}/series", {id: "A B"}) -> "/instruments/A%20B/series". */
export function fillPath<P extends string>(path: P, params: PathParams<P>): string {
  const values = params as Record<string, string>;
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`No value for the path parameter ${name} of ${path}`);
    return encodeURIComponent(value);
  });
}

/**
 * Route matching as API Gateway HTTP APIs do it: a route key is "METHOD /path" where a path
 * segment may be a parameter `{name}` or, last, a greedy `{name+}`. The most specific route
 * wins: literal segments beat parameters.
 */
export interface CompiledRoute {
  routeKey: string;
  method: string;
  pattern: RegExp;
  params: string[];
  /** Literal segments count first, then total segments: higher is more specific. */
  specificity: number;
}

export function compileRoute(routeKey: string): CompiledRoute {
  const [method, path] = routeKey.split(" ") as [string, string];
  const params: string[] = [];
  let literals = 0;
  const segments = path.split("/").filter(Boolean);
  const source = segments
    .map((segment) => {
      const greedy = /^\{(.+)\+\}$/.exec(segment);
      if (greedy) {
        params.push(greedy[1]!);
        return "/(.+)";
      }
      const param = /^\{(.+)\}$/.exec(segment);
      if (param) {
        params.push(param[1]!);
        return "/([^/]+)";
      }
      literals += 1;
      return `/${segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`;
    })
    .join("");
  return {
    routeKey,
    method: method.toUpperCase(),
    pattern: new RegExp(`^${source || "/"}$`),
    params,
    specificity: literals * 1000 + segments.length,
  };
}

export interface RouteMatch {
  routeKey: string;
  pathParameters: Record<string, string> | undefined;
}

export function compileRoutes(routeKeys: readonly string[] = ROUTE_KEYS): CompiledRoute[] {
  return routeKeys.map(compileRoute).sort((a, b) => b.specificity - a.specificity);
}

export function matchRoute(
  routes: readonly CompiledRoute[],
  method: string,
  path: string,
): RouteMatch | undefined {
  for (const route of routes) {
    if (route.method !== "ANY" && route.method !== method.toUpperCase()) continue;
    const m = route.pattern.exec(path);
    if (!m) continue;
    if (route.params.length === 0) return { routeKey: route.routeKey, pathParameters: undefined };
    const pathParameters: Record<string, string> = {};
    route.params.forEach((name, i) => {
      const raw = m[i + 1]!;
      try {
        pathParameters[name] = decodeURIComponent(raw);
      } catch {
        pathParameters[name] = raw;
      }
    });
    return { routeKey: route.routeKey, pathParameters };
  }
  return undefined;
}
