import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from "aws-lambda";
import type { LocalRuntime } from "../runtime.js";
import { startTestRuntime, tempDataDir } from "../testing/test-runtime.js";
import { decodeClaims, signIn, signLikeCognitoLocal } from "../testing/tokens.js";

/** The API host with an echoing function: routing, the JWT authorizer, events, CORS. */
describe("local API host", () => {
  let dir: string;
  let rt: LocalRuntime;
  let cognito: CognitoIdentityProviderClient;
  let idToken: string;
  let accessToken: string;
  const noop = async () => ({ batchItemFailures: [] });

  beforeAll(async () => {
    dir = await tempDataDir("api");
    rt = await startTestRuntime(dir, {
      handlers: {
        latest: noop,
        windows: noop,
        windowsTimer: async () => undefined,
        api: async (event: APIGatewayProxyEventV2WithJWTAuthorizer) => {
          if (event.rawPath === "/instruments/boom/series") throw new Error("boom");
          if (event.rawPath === "/instruments/plain/series") return { hello: "world" };
          return { statusCode: 200, headers: { "X-Echo": "1" }, body: JSON.stringify(event) };
        },
      },
    });
    cognito = new CognitoIdentityProviderClient({
      endpoint: rt.outputs.cognitoEndpoint,
      region: rt.outputs.region,
      credentials: { accessKeyId: "anything", secretAccessKey: "anything" },
    });
    ({ idToken, accessToken } = await signIn(
      cognito,
      rt.outputs.userPoolClientId,
      rt.outputs.demoUser.username,
      rt.outputs.demoUser.password,
    ));
  });

  afterAll(async () => {
    cognito?.destroy();
    await rt?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${rt.outputs.apiUrl}${path}`, {
      ...init,
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.headers ?? {}),
      },
    });

  it("answers the public route without a token", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    const event = (await res.json()) as APIGatewayProxyEventV2WithJWTAuthorizer;
    expect(event.routeKey).toBe("GET /health");
    expect(event.requestContext.authorizer).toBeUndefined();
  });

  it("turns a request into a payload 2.0 event with the token's claims", async () => {
    const res = await call("/instruments/AB%20C/windows?from=10&to=20&to=30", {
      token: idToken,
      headers: { "X-Custom": "Yes" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-echo")).toBe("1");
    const event = (await res.json()) as APIGatewayProxyEventV2WithJWTAuthorizer;
    expect(event.version).toBe("2.0");
    expect(event.routeKey).toBe("GET /instruments/{id}/windows");
    expect(event.rawPath).toBe("/instruments/AB%20C/windows");
    expect(event.rawQueryString).toBe("from=10&to=20&to=30");
    expect(event.pathParameters).toEqual({ id: "AB C" });
    expect(event.queryStringParameters).toEqual({ from: "10", to: "20,30" });
    expect(event.headers["x-custom"]).toBe("Yes");
    expect(event.headers.authorization).toBe(`Bearer ${idToken}`);
    expect(event.requestContext.http.method).toBe("GET");
    expect(event.requestContext.routeKey).toBe("GET /instruments/{id}/windows");
    expect(event.requestContext.stage).toBe("$default");
    const claims = event.requestContext.authorizer.jwt.claims;
    expect(claims.sub).toBe(decodeClaims(idToken).sub);
    expect(claims.token_use).toBe("id");
    expect(claims.exp).toBe(String(decodeClaims(idToken).exp)); // API Gateway passes claims as strings
  });

  it("accepts an access token of the app client", async () => {
    const res = await call("/instruments", { token: accessToken });
    expect(res.status).toBe(200);
    const event = (await res.json()) as APIGatewayProxyEventV2WithJWTAuthorizer;
    expect(event.requestContext.authorizer.jwt.claims.client_id).toBe(rt.outputs.userPoolClientId);
    expect(event.requestContext.authorizer.jwt.scopes).toEqual(["aws.cognito.signin.user.admin"]);
  });

  it("answers 401 without a token, or with a bad, tampered or expired one", async () => {
    const unauthorized = async (res: Response) => {
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ message: "Unauthorized" });
    };
    await unauthorized(await call("/instruments"));
    await unauthorized(await call("/instruments", { headers: { authorization: "Bearer" } }));
    await unauthorized(await call("/instruments", { token: "not.a.jwt" }));

    // Tampered: the payload changed, the signature kept.
    const [h, , s] = idToken.split(".");
    const forged = Buffer.from(
      JSON.stringify({ ...decodeClaims(idToken), sub: "someone-else" }),
    ).toString("base64url");
    await unauthorized(await call("/instruments", { token: `${h}.${forged}.${s}` }));

    // Expired, yet signed with the right key and otherwise valid.
    const now = Math.floor(Date.now() / 1000);
    const expired = signLikeCognitoLocal({
      ...decodeClaims(idToken),
      iat: now - 7200,
      exp: now - 3600,
    });
    await unauthorized(await call("/instruments", { token: expired }));
    // The same token, not expired, passes: only the expiry made the difference.
    const fresh = signLikeCognitoLocal({ ...decodeClaims(idToken), iat: now, exp: now + 3600 });
    expect((await call("/instruments", { token: fresh })).status).toBe(200);

    // A token_use that is neither id nor access.
    await unauthorized(
      await call("/instruments", {
        token: signLikeCognitoLocal({ ...decodeClaims(idToken), token_use: "refresh" }),
      }),
    );
  });

  it("refuses tokens of another app client or another user pool", async () => {
    const pool = rt.outputs.userPoolId;
    const other = await cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: pool,
        ClientName: "other",
        ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH"],
      }),
    );
    const otherClientTokens = await signIn(
      cognito,
      other.UserPoolClient!.ClientId!,
      rt.outputs.demoUser.username,
      rt.outputs.demoUser.password,
    );
    expect((await call("/instruments", { token: otherClientTokens.idToken })).status).toBe(401);
    expect((await call("/instruments", { token: otherClientTokens.accessToken })).status).toBe(401);

    const { UserPool } = await cognito.send(
      new CreateUserPoolCommand({ PoolName: "elsewhere", UsernameAttributes: ["email"] }),
    );
    const { UserPoolClient } = await cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: UserPool!.Id!,
        ClientName: "x",
        ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH"],
      }),
    );
    await cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: UserPool!.Id!,
        Username: "eve@example.com",
        MessageAction: "SUPPRESS",
      }),
    );
    await cognito.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: UserPool!.Id!,
        Username: "eve@example.com",
        Password: "Passw0rd!x",
        Permanent: true,
      }),
    );
    const elsewhere = await signIn(
      cognito,
      UserPoolClient!.ClientId!,
      "eve@example.com",
      "Passw0rd!x",
    );
    expect((await call("/instruments", { token: elsewhere.idToken })).status).toBe(401);
    // Even when it names our client as audience: the issuer differs.
    const wrongIssuer = signLikeCognitoLocal({
      ...decodeClaims(elsewhere.idToken),
      aud: rt.outputs.userPoolClientId,
    });
    expect((await call("/instruments", { token: wrongIssuer })).status).toBe(401);
  });

  it("answers 404 like API Gateway for routes it does not have", async () => {
    for (const [method, path] of [
      ["GET", "/nope"],
      ["POST", "/instruments"],
      ["GET", "/instruments/3"],
      ["GET", "/instruments/"],
    ] as const) {
      const res = await call(path, { method, token: idToken });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toEqual({ message: "Not Found" });
    }
  });

  it("maps function errors to 500 and bare results to a 200 JSON body", async () => {
    const boom = await call("/instruments/boom/series", { token: idToken });
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ message: "Internal Server Error" });
    const plain = await call("/instruments/plain/series", { token: idToken });
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-type")).toBe("application/json");
    expect(await plain.json()).toEqual({ hello: "world" });
  });

  it("answers CORS preflights and marks responses for a browser origin", async () => {
    const pre = await call("/instruments", {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:3000",
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-headers")).toContain("authorization");
    const res = await call("/instruments", { headers: { origin: "http://localhost:3000" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("can be stopped and started again on the same port", async () => {
    await rt.stopApi();
    await expect(fetch(`${rt.outputs.apiUrl}/health`)).rejects.toThrow();
    await rt.startApi();
    expect((await call("/health")).status).toBe(200);
  });
});
