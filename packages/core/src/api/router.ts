import { z } from "zod";
import { API, type RouteKey } from "../resources.js";
import type { LatestItem, LatestReader } from "../latest/store.js";
import { centsToNumber } from "../ticks/decimal.js";
import { isValidInstrument } from "../ticks/instrument.js";
import { MAX_EPOCH_MS } from "../ticks/time.js";

/**
 * The HTTP API's logic, independent of API Gateway: a request is a route key (as API Gateway
 * v2 spells it, e.g. "GET /instruments/{id}/windows"), path parameters and query parameters;
 * a response is a status code and a JSON value. The Lambda handler only translates events.
 *
 * Shapes (DESIGN.md "HTTP API"): prices are decimal numbers (cents / 100, exact), times epoch ms.
 * - GET /health -> {ok: true}
 * - GET /instruments (alias GET /data) -> [{instrument, price, prices, level, eventTime, receivedAt}]
 *   sorted by instrument id (numeric ids in numeric order: "2" before "10")
 * - GET /instruments/{id}/windows?from&to -> [{windowStart, windowEnd, max, final}], oldest first
 * - GET /instruments/{id}/series?from&to -> [{paneStart, max}], oldest first
 * `from`/`to`: epoch ms integers selecting starts in [from, to); `to` defaults to now and `from`
 * to `to` minus one hour; from < to and to - from <= 24 h. Bad parameters -> 400 {message};
 * an instrument without a latest item -> 404 {message}; anything unexpected -> 500 with a
 * generic message (the error goes to `onError`, never to the caller).
 */

export interface WindowRow {
  windowStart: number;
  windowEnd: number;
  maxCents: number;
  /** True once the window has closed and was emitted; false while it is still open. */
  final: boolean;
}

export interface PaneRow {
  paneStart: number;
  maxCents: number;
}

/** What the API needs from the windows side (implemented in windows/query.ts). */
export interface WindowsReader {
  /** Windows with a start in [from, to) holding at least one tick, oldest first. */
  queryWindows(instrument: string, from: number, to: number): Promise<WindowRow[]>;
  /** Panes with a start in [from, to) holding at least one tick, oldest first. */
  querySeries(instrument: string, from: number, to: number): Promise<PaneRow[]>;
}

export interface ApiDeps {
  latest: LatestReader;
  windows: WindowsReader;
  /** Clock for the default range (epoch ms). */
  now?: () => number;
  /** Called with any unexpected error before the 500 answer (e.g. to log it). */
  onError?: (error: unknown, request: ApiRequest) => void;
}

type Params = Record<string, string | undefined> | null | undefined;

export interface ApiRequest {
  routeKey: string;
  pathParameters?: Params;
  queryStringParameters?: Params;
}

export interface ApiResult {
  statusCode: number;
  body: unknown;
}

export const HOUR_MS = 3_600_000;
export const MAX_RANGE_MS = 24 * HOUR_MS;

export interface InstrumentView {
  instrument: string;
  price: number;
  prices: number[];
  level: number | null;
  eventTime: number;
  receivedAt: number | null;
}

export function instrumentView(item: LatestItem): InstrumentView {
  return {
    instrument: item.instrument,
    price: centsToNumber(item.priceCents),
    prices: item.pricesCents.map(centsToNumber),
    level: item.level,
    eventTime: item.eventTime,
    receivedAt: item.receivedAt,
  };
}

const epochMs = z
  .string()
  .regex(/^[0-9]{1,16}$/, "must be epoch milliseconds (a non-negative integer)")
  .transform(Number)
  .refine((n) => n <= MAX_EPOCH_MS, "is out of range");

const rawRangeSchema = z.object({ from: epochMs.optional(), to: epochMs.optional() });

const rangeSchema = z
  .object({ from: z.number().int(), to: z.number().int() })
  .refine((r) => r.from < r.to, "from must be less than to")
  .refine((r) => r.to - r.from <= MAX_RANGE_MS, "from and to may be at most 24 hours apart");

export type RangeResult = { ok: true; from: number; to: number } | { ok: false; message: string };

function zodMessage(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

/** Validates `from`/`to` and applies the defaults (the hour before now). */
export function parseRange(query: Params, now: number): RangeResult {
  const raw = rawRangeSchema.safeParse({ from: query?.from, to: query?.to });
  if (!raw.success) return { ok: false, message: zodMessage(raw.error) };
  const to = raw.data.to ?? now;
  const from = raw.data.from ?? Math.max(0, to - HOUR_MS);
  const range = rangeSchema.safeParse({ from, to });
  if (!range.success) return { ok: false, message: zodMessage(range.error) };
  return { ok: true, from: range.data.from, to: range.data.to };
}

const collator = new Intl.Collator("en", { numeric: true });

function json(statusCode: number, body: unknown): ApiResult {
  return { statusCode, body };
}

function message(statusCode: number, text: string): ApiResult {
  return json(statusCode, { message: text });
}

const ROUTE_PATTERNS: Array<{ routeKey: RouteKey; method: string; pattern: RegExp }> = API.routes.map((routeKey) => {
  const [method, path] = routeKey.split(" ") as [string, string];
  const pattern = new RegExp(`^${path.replace(/\{id\}/g, "(?<id>[^/]+)")}/?$`);
  return { routeKey, method, pattern };
});

/**
 * Finds the route of a method and raw path, for callers that have no route key (a catch-all
 * route): "GET /instruments/3/windows" -> routeKey "GET /instruments/{id}/windows", id "3".
 */
export function matchRoute(method: string, rawPath: string): { routeKey: RouteKey; pathParameters: Record<string, string> } | null {
  for (const route of ROUTE_PATTERNS) {
    if (route.method !== method.toUpperCase()) continue;
    const m = route.pattern.exec(rawPath);
    if (!m) continue;
    const id = m.groups?.id;
    let pathParameters: Record<string, string> = {};
    if (id !== undefined) {
      try {
        pathParameters = { id: decodeURIComponent(id) };
      } catch {
        pathParameters = { id };
      }
    }
    return { routeKey: route.routeKey, pathParameters };
  }
  return null;
}

export type ApiRouter = (request: ApiRequest) => Promise<ApiResult>;

export function createApiRouter(deps: ApiDeps): ApiRouter {
  const now = deps.now ?? Date.now;

  async function instrumentRange(
    request: ApiRequest,
    query: (instrument: string, from: number, to: number) => Promise<unknown>,
  ): Promise<ApiResult> {
    const id = request.pathParameters?.id;
    if (id === undefined || !isValidInstrument(id)) return message(400, "invalid instrument id");
    const range = parseRange(request.queryStringParameters, now());
    if (!range.ok) return message(400, range.message);
    const [latest, rows] = await Promise.all([deps.latest.getLatest(id), query(id, range.from, range.to)]);
    if (latest === null) return message(404, `unknown instrument ${JSON.stringify(id)}`);
    return json(200, rows);
  }

  async function route(request: ApiRequest): Promise<ApiResult> {
    switch (request.routeKey as RouteKey) {
      case "GET /health":
        return json(200, { ok: true });
      case "GET /instruments":
      case "GET /data": {
        const items = await deps.latest.listLatest();
        items.sort((a, b) => collator.compare(a.instrument, b.instrument) || (a.instrument < b.instrument ? -1 : a.instrument > b.instrument ? 1 : 0));
        return json(200, items.map(instrumentView));
      }
      case "GET /instruments/{id}/windows":
        return instrumentRange(request, async (id, from, to) => {
          const rows = await deps.windows.queryWindows(id, from, to);
          return [...rows]
            .sort((a, b) => a.windowStart - b.windowStart)
            .map((w) => ({ windowStart: w.windowStart, windowEnd: w.windowEnd, max: centsToNumber(w.maxCents), final: w.final }));
        });
      case "GET /instruments/{id}/series":
        return instrumentRange(request, async (id, from, to) => {
          const rows = await deps.windows.querySeries(id, from, to);
          return [...rows].sort((a, b) => a.paneStart - b.paneStart).map((p) => ({ paneStart: p.paneStart, max: centsToNumber(p.maxCents) }));
        });
      default:
        return message(404, "not found");
    }
  }

  return async (request) => {
    try {
      return await route(request);
    } catch (error) {
      deps.onError?.(error, request);
      return message(500, "internal error");
    }
  };
}
