import { describe, expect, it } from "vitest";
import { API } from "@tickstream/core/resources";
import { compileRoutes, matchRoute } from "./routes.js";
import { requestTime, stringifyClaims } from "./event.js";

describe("API Gateway route matching", () => {
  it("matches a request to every route the stacks deploy, and to nothing else", () => {
    const routes = compileRoutes(API.routes);
    for (const key of API.routes) {
      const [method, template] = key.split(" ") as [string, string];
      const match = matchRoute(routes, method, template.replace("{id}", "A%2FB"));
      expect(match?.routeKey, key).toBe(key);
      expect(match?.pathParameters, key).toEqual(
        template.includes("{id}") ? { id: "A/B" } : undefined,
      );
    }
    expect(matchRoute(routes, "POST", "/instruments")).toBeUndefined();
    expect(matchRoute(routes, "GET", "/instruments/")).toBeUndefined();
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
