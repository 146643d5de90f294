import { describe, expect, it } from "vitest";
import { API } from "@tickstream/core/resources";
import { compileRoutes, matchRoute } from "./routes.js";
import { requestTime, stringifyClaims } from "./event.js";

describe("API Gateway route matching", () => {
  const routes = compileRoutes(API.routes);

  it("matches every route of the description on method and path template", () => {
    expect(matchRoute(routes, "GET", "/health")).toEqual({
      routeKey: "GET /health",
      pathParameters: undefined,
    });
    expect(matchRoute(routes, "GET", "/instruments")?.routeKey).toBe("GET /instruments");
    expect(matchRoute(routes, "GET", "/instruments/3/windows")).toEqual({
      routeKey: "GET /instruments/{id}/windows",
      pathParameters: { id: "3" },
    });
    expect(matchRoute(routes, "get", "/instruments/A%2FB/series")?.pathParameters).toEqual({
      id: "A/B",
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

describe("API Gateway event details", () => {
  it("passes claims as strings, arrays in brackets", () => {
    expect(
      stringifyClaims({
        sub: "u",
        exp: 17,
        email_verified: true,
        "cognito:groups": ["a", "b"],
        gone: undefined,
      }),
    ).toEqual({
      sub: "u",
      exp: "17",
      email_verified: "true",
      "cognito:groups": "[a b]",
    });
  });

  it("formats requestContext.time as API Gateway does", () => {
    expect(requestTime(Date.UTC(2020, 2, 12, 19, 3, 58))).toBe("12/Mar/2020:19:03:58 +0000");
  });
});
