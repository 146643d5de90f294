import { describe, expect, expectTypeOf, it } from "vitest";
import {
  PUBLIC_ROUTE_KEYS,
  ROUTE_KEYS,
  compileRoutes,
  fillPath,
  matchRoute,
  routeKey,
  routeNamed,
  type PathParamNames,
  type RouteKey,
} from "./routes.js";

describe("route table", () => {
  it("spells each route as API Gateway does, only /health open", () => {
    expect(ROUTE_KEYS).toEqual([
      "GET /health",
      "GET /instruments",
      "GET /data",
      "GET /instruments/{id}/windows",
      "GET /instruments/{id}/series",
    ]);
    expect(PUBLIC_ROUTE_KEYS).toEqual(["GET /health"]);
    expect(routeKey("series")).toBe("GET /instruments/{id}/series");
    expectTypeOf(routeKey("windows")).toEqualTypeOf<"GET /instruments/{id}/windows">();
    expectTypeOf<"GET /nope">().not.toMatchTypeOf<RouteKey>();
  });

  it("names the route of a route key, and nothing else", () => {
    expect(routeNamed("GET /instruments/{id}/windows")).toBe("windows");
    expect(routeNamed("GET /data")).toBe("data");
    expect(routeNamed("POST /instruments")).toBeUndefined();
    expect(routeNamed("GET /instruments/3/windows")).toBeUndefined();
    expect(routeNamed("toString")).toBeUndefined();
  });

  it("fills path parameters, URI-encoded", () => {
    expect(fillPath("/instruments/{id}/series", { id: "A B/C" })).toBe(
      "/instruments/A%20B%2FC/series",
    );
    expect(fillPath("/instruments", {})).toBe("/instruments");
    expect(() => fillPath("/instruments/{id}/series", {} as { id: string })).toThrow(/id/);
    expectTypeOf<PathParamNames<"/a/{x}/b/{y}">>().toEqualTypeOf<"x" | "y">();
    expectTypeOf<PathParamNames<"/instruments">>().toBeNever();
  });
});

describe("API Gateway route matching", () => {
  const routes = compileRoutes();

  it("matches every route of the table on method and path template", () => {
    expect(matchRoute(routes, "GET", "/health")).toEqual({
      routeKey: "GET /health",
      pathParameters: undefined,
    });
    expect(matchRoute(routes, "GET", "/instruments")?.routeKey).toBe("GET /instruments");
    expect(matchRoute(routes, "GET", "/data")?.routeKey).toBe("GET /data");
    expect(matchRoute(routes, "GET", "/instruments/3/windows")).toEqual({
      routeKey: "GET /instruments/{id}/windows",
      pathParameters: { id: "3" },
    });
    expect(matchRoute(routes, "get", "/instruments/A%2FB/series")?.pathParameters).toEqual({
      id: "A/B",
    });
    expect(matchRoute(routes, "GET", "/instruments/%E0%A4%A/series")?.pathParameters).toEqual({
      id: "%E0%A4%A",
    });
  });

  it("matches nothing else", () => {
    expect(matchRoute(routes, "POST", "/instruments")).toBeUndefined();
    expect(matchRoute(routes, "GET", "/instruments/")).toBeUndefined();
    expect(matchRoute(routes, "GET", "/instruments/3/windows/x")).toBeUndefined();
    expect(matchRoute(routes, "GET", "/")).toBeUndefined();
  });

  it("prefers literal segments and supports greedy parameters", () => {
    const r = compileRoutes(["GET /a/{x}", "GET /a/b", "ANY /files/{path+}"]);
    expect(matchRoute(r, "GET", "/a/b")?.routeKey).toBe("GET /a/b");
    expect(matchRoute(r, "GET", "/a/c")?.pathParameters).toEqual({ x: "c" });
    expect(matchRoute(r, "DELETE", "/files/x/y.txt")?.pathParameters).toEqual({ path: "x/y.txt" });
  });
});
