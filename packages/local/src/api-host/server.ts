import {
  STATUS_CODES,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { invokeFunction, type LocalFunction } from "../lambda.js";
import { PortInUseError } from "../ports.js";
import { errorMessage, type Log } from "../timing.js";
import type { AuthResult } from "./auth.js";
import { buildEvent, requestId } from "./event.js";
import { compileRoutes, matchRoute } from "./routes.js";

/**
 * The local stand-in for the HTTP API: routes from the resource description, the JWT
 * authorizer on every route but the public ones, CORS for the dashboard, and payload format
 * 2.0 events for the one API function, which runs in this process.
 */

export interface CorsConfig {
  /** Origins allowed to call the API from a browser; "*" for any. */
  allowOrigins: string[] | "*";
  allowHeaders: string[];
  allowMethods: string[];
  maxAgeSeconds: number;
}

export interface ApiHostOptions {
  port: number;
  region: string;
  routes: readonly string[];
  publicRoutes: readonly string[];
  fn: LocalFunction;
  authorize: (authorization: string | undefined) => Promise<AuthResult>;
  cors: CorsConfig;
  log: Log;
  /** API Gateway's integration timeout (HTTP APIs: 30 s). */
  integrationTimeoutMs?: number;
}

const INTEGRATION_TIMEOUT_MS = 30_000;

class IntegrationTimeout extends Error {}

const MAX_BODY = 10 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer | "too large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > MAX_BODY ? "too large" : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Status for a request Node's parser refused (its `clientError` codes): too large a header
 * block is 431, a request that never completed in time 408, anything else malformed 400.
 */
export function clientErrorStatus(code: string | undefined): number {
  if (code === "HPE_HEADER_OVERFLOW") return 431;
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return 408;
  return 400;
}

/**
 * A whole HTTP/1.1 response written straight on a socket, for requests that never became a
 * request object (unparseable ones, CONNECT): JSON with a message, as API Gateway answers.
 */
export function rawJsonResponse(
  status: number,
  reqId: string,
  extra: Record<string, string> = {},
): string {
  const body = JSON.stringify({ message: STATUS_CODES[status] ?? "Bad Request" });
  const headers = {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    "apigw-requestid": reqId,
    ...extra,
    connection: "close",
  };
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("") +
    `\r\n${body}`
  );
}

/**
 * Ends a connection with a raw JSON answer. A response still being made for an earlier request
 * on the connection (pipelining) goes out first; one already half written cannot be followed.
 */
function answerRaw(socket: Duplex, status: number, extra?: Record<string, string>): void {
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!socket.writable || (inFlight && inFlight.headersSent && !inFlight.writableFinished)) {
    socket.destroy();
    return;
  }
  const answer = () => {
    if (socket.writable) socket.end(rawJsonResponse(status, requestId(), extra));
    else socket.destroy();
  };
  if (inFlight && !inFlight.writableFinished) inFlight.once("finish", answer);
  else answer();
}

export class ApiHost {
  private server: Server | undefined;
  private readonly routes;
  private readonly publicRoutes: Set<string>;
  readonly apiId = "local";

  constructor(private readonly options: ApiHostOptions) {
    this.routes = compileRoutes(options.routes);
    this.publicRoutes = new Set(options.publicRoutes);
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  async start(): Promise<void> {
    if (this.server?.listening) return;
    // The Host check is ours (handle), so that its answer is JSON like every other.
    const server = createServer({ requireHostHeader: false }, (req, res) => {
      this.handle(req, res).catch((err) => {
        this.options.log.error(`api: ${errorMessage(err)}`);
        if (!res.headersSent)
          this.send(res, req, 500, { message: "Internal Server Error" }, requestId());
        else res.end();
      });
    });
    server.keepAliveTimeout = 5000;
    // What Node's parser refuses (an unknown or lower-case method, a garbled request line, a
    // bad Content-Length, headers over its 16 KB limit) would get a bare 400/431.
    server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (err.code === "ECONNRESET") {
        socket.destroy();
        return;
      }
      answerRaw(socket, clientErrorStatus(err.code));
    });
    // CONNECT asks for a tunnel, which an API does not give; without a listener Node would
    // drop the connection without a word.
    server.on("connect", (_req: IncomingMessage, socket: Duplex) => {
      socket.on("error", () => socket.destroy());
      answerRaw(socket, 405, { allow: this.options.cors.allowMethods.join(", ") });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err: NodeJS.ErrnoException) =>
        reject(err.code === "EADDRINUSE" ? new PortInUseError("api", this.options.port) : err),
      );
      server.listen(this.options.port, "127.0.0.1", () => resolve());
    });
    this.options.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private corsHeaders(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    if (!origin) return {};
    const { allowOrigins } = this.options.cors;
    if (allowOrigins !== "*" && !allowOrigins.includes(origin)) return {};
    return { "access-control-allow-origin": allowOrigins === "*" ? "*" : origin, vary: "Origin" };
  }

  private send(
    res: ServerResponse,
    req: IncomingMessage,
    status: number,
    body: unknown,
    reqId: string,
    extra: Record<string, string> = {},
  ): void {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      "apigw-requestid": reqId,
      ...this.corsHeaders(req),
      ...extra,
    });
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const now = Date.now();
    const reqId = requestId();
    const method = (req.method ?? "GET").toUpperCase();
    let path: string;
    try {
      path = new URL(req.url ?? "/", "http://local").pathname;
    } catch {
      path = "";
    }
    // HTTP/1.1 requires Host; API Gateway refuses a request without one, or with a target it
    // cannot read.
    if (!path || (req.httpVersion === "1.1" && !req.headers.host)) {
      await readBody(req);
      this.send(res, req, 400, { message: "Bad Request" }, reqId, { connection: "close" });
      return;
    }

    // CORS preflight: answered by API Gateway itself, before routes and authorizers.
    if (
      method === "OPTIONS" &&
      req.headers.origin &&
      req.headers["access-control-request-method"]
    ) {
      const cors = this.corsHeaders(req);
      const { allowHeaders, allowMethods, maxAgeSeconds } = this.options.cors;
      res.writeHead(204, {
        "apigw-requestid": reqId,
        ...(cors["access-control-allow-origin"]
          ? {
              ...cors,
              "access-control-allow-methods": allowMethods.join(","),
              "access-control-allow-headers": allowHeaders.join(","),
              "access-control-max-age": String(maxAgeSeconds),
            }
          : {}),
      });
      res.end();
      return;
    }

    const match = matchRoute(this.routes, method, path);
    if (!match) {
      await readBody(req);
      this.send(res, req, 404, { message: "Not Found" }, reqId);
      return;
    }

    let auth: { claims: Record<string, unknown>; scopes: string[] | null } | undefined;
    if (!this.publicRoutes.has(match.routeKey)) {
      const result = await this.options.authorize(req.headers.authorization);
      if (!result.ok) {
        await readBody(req);
        this.send(res, req, 401, { message: "Unauthorized" }, reqId, {
          "www-authenticate": `Bearer error="invalid_token" error_description="${result.reason.replace(/[^\x20-\x7e]|"/g, " ").slice(0, 200)}"`,
        });
        return;
      }
      auth = { claims: result.claims as Record<string, unknown>, scopes: result.scopes };
    }

    const body = await readBody(req);
    if (body === "too large") {
      this.send(res, req, 413, { message: "Request Entity Too Large" }, reqId);
      return;
    }

    const event = buildEvent({
      req,
      body,
      routeKey: match.routeKey,
      pathParameters: match.pathParameters,
      auth,
      apiId: this.apiId,
      region: this.options.region,
      requestId: reqId,
      now,
    });

    // The function fails on its own time limit (a function error: 500); API Gateway gives up
    // on the integration after its own (503), whichever comes first.
    const { fn } = this.options;
    let timer: NodeJS.Timeout | undefined;
    let result: unknown;
    try {
      result = await Promise.race([
        invokeFunction(fn, event, this.options.region),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new IntegrationTimeout()),
            this.options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (err) {
      const timedOut = err instanceof IntegrationTimeout;
      this.options.log.warn(
        `api: ${match.routeKey}: ${timedOut ? "integration timed out" : `function error: ${errorMessage(err)}`}`,
      );
      this.send(
        res,
        req,
        timedOut ? 503 : 500,
        { message: timedOut ? "Service Unavailable" : "Internal Server Error" },
        reqId,
      );
      return;
    } finally {
      clearTimeout(timer);
    }
    this.respond(res, req, result, reqId);
  }

  /** Maps a payload format 2.0 response the way API Gateway does. */
  private respond(res: ServerResponse, req: IncomingMessage, result: unknown, reqId: string): void {
    const structured =
      typeof result === "object" && result !== null && "statusCode" in result
        ? (result as APIGatewayProxyStructuredResultV2)
        : undefined;
    if (!structured) {
      // Anything else is taken as a JSON body with status 200.
      const text = typeof result === "string" ? result : JSON.stringify(result ?? null);
      this.send(res, req, 200, text, reqId);
      return;
    }
    const headers: Record<string, string | string[]> = {
      "apigw-requestid": reqId,
      ...this.corsHeaders(req),
    };
    for (const [k, v] of Object.entries(structured.headers ?? {}))
      headers[k.toLowerCase()] = String(v);
    if (structured.cookies?.length) headers["set-cookie"] = structured.cookies;
    const body =
      structured.body === undefined
        ? Buffer.alloc(0)
        : structured.isBase64Encoded
          ? Buffer.from(structured.body, "base64")
          : Buffer.from(structured.body, "utf8");
    headers["content-type"] ??= "application/json";
    headers["content-length"] = String(body.length);
    res.writeHead(structured.statusCode ?? 200, headers);
    res.end(body);
  }
}
