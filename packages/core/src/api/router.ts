import { z } from "zod";
import type { LatestItem, LatestReader } from "../latest/store.js";
import { centsToNumber } from "../ticks/decimal.js";
import { isValidInstrument } from "../ticks/instrument.js";
import { MAX_EPOCH_MS } from "../ticks/time.js";
import { compileRoutes, matchRoute as matchCompiled, routeNamed, type RouteBodies, type RouteKey, type RouteName } from "./routes.js";
import type { Candle, ErrorBody, InstrumentItem, SeriesItem, WindowItem } from "./types.js";

/**
 * The HTTP API's logic, independent of API Gateway: a request is a route key (as API Gateway
 * v2 spells it, e.g. "GET /instruments/{id}/windows"), path parameters and query parameters;
 * a response is a status code and a JSON value. The Lambda handler only translates events.
 *
 * Routes in routes.ts, response shapes in types.ts (DESIGN.md "HTTP API"):
 * - health -> {ok: true}
 * - instruments (alias data) -> the latest tick of every instrument, sorted by instrument id
 *   (numeric ids in numeric order: "2" before "10")
 * - windows?from&to -> window maxima of one instrument, oldest first
 * - series?from&to&step -> pane candles of one instrument, oldest first; `step` (optional, a
 *   positive multiple of the slide) merges the panes of each step
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

/** One series row, prices in cents. */
export type PaneRow = Candle;

/** What the API needs from the windows side (implemented in windows/query.ts). */
export interface WindowsReader {
  /** Pane length (the slide), ms. */
  readonly slideMs: number;
  /** Windows with a start in [from, to) holding at least one tick, oldest first. */
  queryWindows(instrument: string, from: number, to: number): Promise<WindowRow[]>;
  /**
   * Panes with a start in [from, to) holding at least one tick, oldest first; with `step` (a
   * multiple of the slide) the panes of each step merged.
   */
  querySeries(instrument: string, from: number, to: number, step?: number): Promise<PaneRow[]>;
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

export interface ApiResult<Body = unknown> {
  statusCode: number;
  body: Body | ErrorBody;
}

export const HOUR_MS = 3_600_000;
export const MAX_RANGE_MS = 24 * HOUR_MS;

export function instrumentItem(item: LatestItem): InstrumentItem {
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

export type StepResult = { ok: true; step: number | undefined } | { ok: false; message: string };

const stepSchema = z.string().regex(/^[1-9][0-9]{0,15}$/, "must be a positive whole number of milliseconds").transform(Number);

/** Validates `step`: absent, or a positive multiple of the slide (at most a day). */
export function parseStep(query: Params, slideMs: number): StepResult {
  const raw = query?.step;
  if (raw === undefined) return { ok: true, step: undefined };
  const parsed = stepSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, message: `step: ${zodMessage(parsed.error)}` };
  const step = parsed.data;
  if (step % slideMs !== 0) return { ok: false, message: `step: must be a multiple of the pane length, ${slideMs} ms` };
  if (step > MAX_RANGE_MS) return { ok: false, message: "step: may be at most 24 hours" };
  return { ok: true, step };
}

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

export function seriesItem(p: PaneRow): SeriesItem {
  const high = centsToNumber(p.high);
  return { paneStart: p.paneStart, open: centsToNumber(p.open), high, low: centsToNumber(p.low), close: centsToNumber(p.close), count: p.count, max: high };
}

const collator = new Intl.Collator("en", { numeric: true });

function json<Body>(statusCode: number, body: Body): ApiResult<Body> {
  return { statusCode, body };
}

function message(statusCode: number, text: string): ApiResult<never> {
  return { statusCode, body: { message: text } };
}

// A trailing slash is tolerated here (API Gateway would not route it; a catch-all route does).
const ROUTES = compileRoutes();

/**
 * Finds the route of a method and raw path, for callers that have no route key (a catch-all
 * route): "GET /instruments/3/windows" -> routeKey "GET /instruments/{id}/windows", id "3".
 */
export function matchRoute(method: string, rawPath: string): { routeKey: RouteKey; pathParameters: Record<string, string> } | null {
  const path = rawPath.length > 1 && rawPath.endsWith("/") ? rawPath.slice(0, -1) : rawPath;
  const match = matchCompiled(ROUTES, method, path);
  if (!match) return null;
  return { routeKey: match.routeKey as RouteKey, pathParameters: match.pathParameters ?? {} };
}

export type ApiRouter = (request: ApiRequest) => Promise<ApiResult>;

type RouteHandler<N extends RouteName> = (request: ApiRequest) => Promise<ApiResult<RouteBodies[N]>>;

export function createApiRouter(deps: ApiDeps): ApiRouter {
  const now = deps.now ?? Date.now;

  async function instrumentRange<Row>(
    request: ApiRequest,
    query: (instrument: string, from: number, to: number, step: number | undefined) => Promise<Row[]>,
    withStep = false,
  ): Promise<ApiResult<Row[]>> {
    const id = request.pathParameters?.id;
    if (id === undefined || !isValidInstrument(id)) return message(400, "invalid instrument id");
    const range = parseRange(request.queryStringParameters, now());
    if (!range.ok) return message(400, range.message);
    const step = withStep ? parseStep(request.queryStringParameters, deps.windows.slideMs) : ({ ok: true, step: undefined } as const);
    if (!step.ok) return message(400, step.message);
    const known = deps.latest.has ? deps.latest.has(id) : deps.latest.getLatest(id).then((item) => item !== null);
    const [exists, rows] = await Promise.all([known, query(id, range.from, range.to, step.step)]);
    if (!exists) return message(404, `unknown instrument ${JSON.stringify(id)}`);
    return json(200, rows);
  }

  async function instruments(): Promise<ApiResult<InstrumentItem[]>> {
    const items = await deps.latest.listLatest();
    items.sort((a, b) => collator.compare(a.instrument, b.instrument) || (a.instrument < b.instrument ? -1 : a.instrument > b.instrument ? 1 : 0));
    return json(200, items.map(instrumentItem));
  }

  const handlers: { [N in RouteName]: RouteHandler<N> } = {
    health: async () => json(200, { ok: true }),
    instruments,
    data: instruments,
    windows: (request) =>
      instrumentRange(request, async (id, from, to): Promise<WindowItem[]> => {
        const rows = await deps.windows.queryWindows(id, from, to);
        return [...rows]
          .sort((a, b) => a.windowStart - b.windowStart)
          .map((w) => ({ windowStart: w.windowStart, windowEnd: w.windowEnd, max: centsToNumber(w.maxCents), final: w.final }));
      }),
    series: (request) =>
      instrumentRange(
        request,
        async (id, from, to, step): Promise<SeriesItem[]> => {
          const rows = await deps.windows.querySeries(id, from, to, step);
          return [...rows].sort((a, b) => a.paneStart - b.paneStart).map(seriesItem);
        },
        true,
      ),
  };

  return async (request) => {
    try {
      const name = routeNamed(request.routeKey);
      if (name === undefined) return message(404, "not found");
      return await handlers[name](request);
    } catch (error) {
      deps.onError?.(error, request);
      return message(500, "internal error");
    }
  };
}
