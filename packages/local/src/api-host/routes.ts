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

export function compileRoutes(routeKeys: readonly string[]): CompiledRoute[] {
  return routeKeys.map(compileRoute).sort((a, b) => b.specificity - a.specificity);
}

export function matchRoute(
  routes: CompiledRoute[],
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
