import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from "aws-lambda";
import { LOCAL_ACCOUNT } from "../lambda.js";

/**
 * Builds the payload format 2.0 event API Gateway HTTP APIs hand to a Lambda integration:
 * lower-case headers with repeated values joined by commas, cookies apart, query parameters
 * joined by commas, path parameters from the route, and the JWT authorizer's claims.
 */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `12/Mar/2020:19:03:58 +0000`, as in requestContext.time. */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** API Gateway hands JWT claims to the integration as strings (arrays as "[a b]"). */
export function stringifyClaims(claims: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(claims)) {
    if (value === undefined || value === null) continue;
    if (typeof value === "string") out[key] = value;
    else if (Array.isArray(value)) out[key] = `[${value.join(" ")}]`;
    else if (typeof value === "object") out[key] = JSON.stringify(value);
    else out[key] = String(value);
  }
  return out;
}

export function requestId(): string {
  // API Gateway's ids look like "JKJaXmPLvHcESHA="
  return randomBytes(10).toString("base64");
}

const TEXT_TYPES =
  /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|.*\+json|.*\+xml)/i;

export interface EventInput {
  req: IncomingMessage;
  body: Buffer;
  routeKey: string;
  pathParameters: Record<string, string> | undefined;
  auth: { claims: Record<string, unknown>; scopes: string[] | null } | undefined;
  apiId: string;
  region: string;
  requestId: string;
  now: number;
}

export function buildEvent(input: EventInput): APIGatewayProxyEventV2WithJWTAuthorizer {
  const { req } = input;
  const url = new URL(req.url ?? "/", "http://local");
  const rawQueryString = (req.url ?? "").includes("?")
    ? (req.url ?? "").slice((req.url ?? "").indexOf("?") + 1)
    : "";

  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === "cookie") {
      cookies = [...(cookies ?? []), ...value.split(/;\s*/).filter(Boolean)];
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  headers["x-forwarded-for"] ??= req.socket.remoteAddress ?? "127.0.0.1";
  headers["x-forwarded-proto"] ??= "http";
  headers["x-forwarded-port"] ??= String(req.socket.localPort ?? "");

  let queryStringParameters: Record<string, string> | undefined;
  for (const [key, value] of url.searchParams) {
    queryStringParameters ??= {};
    queryStringParameters[key] =
      key in queryStringParameters ? `${queryStringParameters[key]},${value}` : value;
  }

  const method = (req.method ?? "GET").toUpperCase();
  const contentType = headers["content-type"] ?? "";
  const hasBody = input.body.length > 0;
  const isText = !contentType || TEXT_TYPES.test(contentType);
  const host = headers.host ?? "127.0.0.1";

  const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
    version: "2.0",
    routeKey: input.routeKey,
    rawPath: url.pathname,
    rawQueryString,
    headers,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: input.apiId,
      authorizer: {
        principalId: "",
        integrationLatency: 0,
        jwt: {
          claims: input.auth ? stringifyClaims(input.auth.claims) : {},
          scopes: (input.auth?.scopes ?? null) as string[],
        },
      },
      domainName: host,
      domainPrefix: host.split(".")[0]!.split(":")[0]!,
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: input.requestId,
      routeKey: input.routeKey,
      stage: "$default",
      time: requestTime(input.now),
      timeEpoch: input.now,
    },
    isBase64Encoded: hasBody && !isText,
  };
  if (cookies) event.cookies = cookies;
  if (queryStringParameters) event.queryStringParameters = queryStringParameters;
  if (input.pathParameters) event.pathParameters = input.pathParameters;
  if (hasBody) event.body = isText ? input.body.toString("utf8") : input.body.toString("base64");
  if (!input.auth) {
    // Public routes carry no authorizer context.
    delete (event.requestContext as { authorizer?: unknown }).authorizer;
  }
  return event;
}
