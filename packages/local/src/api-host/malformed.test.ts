import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLog } from "../timing.js";
import { ApiHost } from "./server.js";

/**
 * What one raw request over a fresh connection gets back: everything until the server closes
 * the connection, or until `responses` complete responses have come.
 */
function exchange(
  port: number,
  request: string | Buffer,
  responses = 1,
  timeoutMs = 5000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    let data = "";
    const complete = () => {
      let at = 0;
      for (let n = 0; n < responses; n++) {
        const end = data.indexOf("\r\n\r\n", at);
        if (end < 0) return false;
        const length = /\r\ncontent-length: *(\d+)/i.exec(data.slice(at, end));
        if (!length) return false;
        at = end + 4 + Number(length[1]);
        if (data.length < at) return false;
      }
      return true;
    };
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
      if (complete()) {
        socket.destroy();
        resolve(data);
      }
    });
    socket.on("error", () => undefined); // a reset after the answer is fine
    socket.on("close", () => resolve(data));
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms; got so far: ${JSON.stringify(data)}`));
    });
  });
}

function parse(raw: string) {
  const end = raw.indexOf("\r\n\r\n");
  expect(end, `a complete response head in ${JSON.stringify(raw.slice(0, 200))}`).toBeGreaterThan(
    0,
  );
  const [statusLine, ...lines] = raw.slice(0, end).split("\r\n");
  const headers = Object.fromEntries(
    lines.map((l) => [
      l.slice(0, l.indexOf(":")).toLowerCase(),
      l.slice(l.indexOf(":") + 1).trim(),
    ]),
  );
  const body = raw.slice(end + 4);
  return { status: Number(statusLine!.split(" ")[1]), headers, body };
}

/**
 * Requests Node's HTTP parser refuses, or that never reach a route: every answer is JSON with a
 * message and a 4xx status, as API Gateway gives, never a bare status line or a dropped connection.
 */
describe("local API host, malformed requests", () => {
  let host: ApiHost;
  let port: number;

  beforeAll(async () => {
    host = new ApiHost({
      port: 0,
      region: "us-east-1",
      routes: ["GET /health", "GET /instruments"],
      publicRoutes: ["GET /health"],
      fn: {
        id: "Api",
        functionName: "tickstream-local-Api",
        timeoutMs: 5_000,
        handler: async () => ({ ok: true }),
      },
      authorize: async () => ({ ok: false, reason: "no token" }),
      cors: {
        allowOrigins: "*",
        allowHeaders: [],
        allowMethods: ["GET", "OPTIONS"],
        maxAgeSeconds: 60,
      },
      log: silentLog,
    });
    await host.start();
    port = Number(new URL(host.url).port);
  });

  afterAll(async () => {
    await host?.stop();
  });

  const cases: { name: string; request: string | Buffer; status: number }[] = [
    { name: "an unknown method", request: "FROB /health HTTP/1.1\r\nHost: x\r\n\r\n", status: 400 },
    {
      name: "a lower-case method",
      request: "get /health HTTP/1.1\r\nHost: x\r\n\r\n",
      status: 400,
    },
    {
      name: "headers over 16 KB",
      request: `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(17 * 1024)}\r\n\r\n`,
      status: 431,
    },
    {
      name: "a Content-Length that is not a number",
      request: "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
      status: 400,
    },
    {
      name: "two different Content-Lengths",
      request:
        "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      status: 400,
    },
    {
      name: "Content-Length with Transfer-Encoding",
      request:
        "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      status: 400,
    },
    { name: "a garbage request line", request: "\u0001\u0002 nonsense\r\n\r\n", status: 400 },
    {
      name: "binary garbage",
      request: Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x01]),
      status: 400,
    },
    { name: "an HTTP/2 preface", request: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", status: 400 },
    {
      name: "a header without a colon",
      request: "GET /health HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n",
      status: 400,
    },
    { name: "no Host header", request: "GET /health HTTP/1.1\r\n\r\n", status: 400 },
    {
      name: "CONNECT",
      request: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
      status: 405,
    },
    {
      name: "a method Node knows but no route has",
      request: "PURGE /health HTTP/1.1\r\nHost: x\r\n\r\n",
      status: 404,
    },
    {
      name: "a request target that is not a path",
      request: "GET http://[zz/health HTTP/1.1\r\nHost: x\r\n\r\n",
      status: 400,
    },
  ];

  for (const c of cases) {
    it(`answers ${c.name} with ${c.status} and a JSON message`, async () => {
      const res = parse(await exchange(port, c.request));
      expect(res.status).toBe(c.status);
      expect(res.headers["content-type"]).toBe("application/json");
      expect(Number(res.headers["content-length"])).toBe(Buffer.byteLength(res.body));
      const body = JSON.parse(res.body) as { message?: unknown };
      expect(typeof body.message).toBe("string");
      expect((body.message as string).length).toBeGreaterThan(0);
    });
  }

  it("still answers well-formed requests on the same server", async () => {
    const res = parse(
      await exchange(port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true });
    // HTTP/1.0 needs no Host.
    const old = parse(await exchange(port, "GET /health HTTP/1.0\r\n\r\n"));
    expect(old.status).toBe(200);
  });

  it("answers a malformed request after a good one on a kept-alive connection", async () => {
    const raw = await exchange(
      port,
      "GET /health HTTP/1.1\r\nHost: x\r\n\r\nget /health HTTP/1.1\r\nHost: x\r\n\r\n",
      2,
    );
    const second = raw.indexOf("HTTP/1.1", 10);
    expect(parse(raw.slice(0, second)).status).toBe(200);
    const bad = parse(raw.slice(second));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({ message: "Bad Request" });
  });
});
