/**
 * Client of Tickstream's HTTP API. Every request carries the Cognito ID token; a 401 gets one
 * forced token refresh and one retry, and if that fails too the session is over.
 */

// Type-only imports: the shapes and paths are core's, checked at compile time, and nothing of
// core reaches the dashboard's bundle.
import type { PathParams, RouteBodies, RoutePath } from "@tickstream/core/api/routes";
import type { ErrorBody, InstrumentItem, SeriesItem, WindowItem } from "@tickstream/core/api/types";

export type InstrumentTick = InstrumentItem;
export type WindowMax = WindowItem;
/** One candle of a series: a pane, or with `step` the panes of one step merged (max = high). */
export type Pane = Pick<SeriesItem, "paneStart" | "open" | "high" | "low" | "close" | "max">;

type ClientRoute = "instruments" | "windows" | "series";

/** The routes this client calls. Typed by the API's route table: a renamed route fails to compile. */
const PATHS: { [N in ClientRoute]: RoutePath<N> } = {
  instruments: "/instruments",
  windows: "/instruments/{id}/windows",
  series: "/instruments/{id}/series",
};

/** "GET /instruments/{id}/series", as error messages name a route. */
function routeLabel(name: ClientRoute): string {
  return `GET ${PATHS[name]}`;
}

/** A route's path with its parameters filled in, URI-encoded. */
function pathOf<N extends ClientRoute>(name: N, params: PathParams<RoutePath<N>>): string {
  const values: Record<string, string> = params;
  return PATHS[name].replace(/\{([^}]+)\}/g, (_, param: string) =>
    encodeURIComponent(values[param] ?? ""),
  );
}

// Each error names itself in a field: class names do not survive the production build's minifier.

/** The server answered with an error status (other than an unrecoverable 401). */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The API could not be reached at all (connection refused, timeout, CORS failure). */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
}

/** No valid session: the user must sign in again. */
export class SessionExpiredError extends Error {
  override readonly name = "SessionExpiredError";
  constructor(message = "Your session has expired. Please sign in again.") {
    super(message);
  }
}

/** The response did not have the documented shape. */
export class BadResponseError extends Error {
  override readonly name = "BadResponseError";
}

/** Returns the current ID token (refreshing it if needed), or null when there is no session. */
export type TokenSource = (opts?: { forceRefresh?: boolean }) => Promise<string | null>;

export interface ApiClient {
  instruments(signal?: AbortSignal): Promise<InstrumentTick[]>;
  /** Candles in [from, to); `stepMs` (a multiple of the slide) merges the panes of each step. */
  series(
    instrument: string,
    from: number,
    to: number,
    signal?: AbortSignal,
    stepMs?: number,
  ): Promise<Pane[]>;
  windows(instrument: string, from: number, to: number, signal?: AbortSignal): Promise<WindowMax[]>;
}

export interface ApiClientOptions {
  baseUrl: string;
  getToken: TokenSource;
  fetch?: typeof fetch;
  /** Per-request timeout; default 8 s. */
  timeoutMs?: number;
}

function isNum(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

export function parseInstruments(body: unknown): RouteBodies["instruments"] {
  if (!Array.isArray(body))
    throw new BadResponseError(`${routeLabel("instruments")} did not return a list`);
  const out: InstrumentTick[] = [];
  for (const item of body) {
    if (typeof item !== "object" || item === null) continue;
    const r = item as Record<string, unknown>;
    const instrument =
      typeof r.instrument === "string" || isNum(r.instrument) ? String(r.instrument) : undefined;
    if (instrument === undefined || !isNum(r.price) || !isNum(r.eventTime)) continue;
    out.push({
      instrument,
      price: r.price,
      prices: Array.isArray(r.prices) ? r.prices.filter(isNum) : [r.price],
      level: isNum(r.level) ? r.level : null,
      eventTime: r.eventTime,
      receivedAt: isNum(r.receivedAt) ? r.receivedAt : null,
    });
  }
  return out;
}

export function parsePanes(body: unknown): Pane[] {
  if (!Array.isArray(body))
    throw new BadResponseError(`${routeLabel("series")} did not return a list`);
  const out: Pane[] = [];
  for (const item of body) {
    const r = item as Record<string, unknown> | null;
    if (!r || !isNum(r.paneStart) || !isNum(r.high)) continue;
    if (!isNum(r.open) || !isNum(r.low) || !isNum(r.close)) continue;
    const { paneStart, open, high, low, close } = r;
    out.push({ paneStart, open, high, low, close, max: isNum(r.max) ? r.max : high });
  }
  return out;
}

export function parseWindows(body: unknown): RouteBodies["windows"] {
  if (!Array.isArray(body))
    throw new BadResponseError(`${routeLabel("windows")} did not return a list`);
  const out: WindowMax[] = [];
  for (const item of body) {
    const r = item as Record<string, unknown> | null;
    if (r && isNum(r.windowStart) && isNum(r.windowEnd) && isNum(r.max)) {
      out.push({
        windowStart: r.windowStart,
        windowEnd: r.windowEnd,
        max: r.max,
        final: r.final === true,
      });
    }
  }
  return out;
}

/** Combines the caller's abort signal with a timeout. */
function withTimeout(
  signal: AbortSignal | undefined,
  timeoutMs: number,
): { signal: AbortSignal; done: () => void; timedOut: () => boolean } {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  if (signal) {
    if (signal.aborted) controller.abort();
    else signal.addEventListener("abort", onAbort, { once: true });
  }
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
    timedOut: () => expired,
  };
}

async function errorMessage(res: Response): Promise<string> {
  try {
    const text = await res.text();
    try {
      const body = JSON.parse(text) as { [K in keyof ErrorBody]?: unknown } & { error?: unknown };
      const m = body.message ?? body.error;
      if (typeof m === "string" && m) return m;
    } catch {
      /* not JSON */
    }
    if (text) return text.slice(0, 200);
  } catch {
    /* ignore */
  }
  return res.statusText || `HTTP ${res.status}`;
}

export function createApiClient(opts: ApiClientOptions): ApiClient {
  const doFetch = opts.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const timeoutMs = opts.timeoutMs ?? 8000;
  const base = opts.baseUrl.replace(/\/+$/, "");

  async function token(forceRefresh: boolean): Promise<string> {
    let t: string | null;
    try {
      t = await opts.getToken({ forceRefresh });
    } catch (err) {
      // The identity provider could not be reached: transient, the session may still be fine.
      if (err instanceof SessionExpiredError) throw err;
      throw new NetworkError(
        `Could not refresh the session: ${(err as Error)?.message ?? String(err)}`,
      );
    }
    if (!t) throw new SessionExpiredError();
    return t;
  }

  async function send(path: string, bearer: string, signal?: AbortSignal): Promise<Response> {
    const t = withTimeout(signal, timeoutMs);
    try {
      return await doFetch(`${base}${path}`, {
        method: "GET",
        headers: { Authorization: `Bearer ${bearer}`, Accept: "application/json" },
        signal: t.signal,
        cache: "no-store",
      });
    } catch (err) {
      if (signal?.aborted) throw err; // cancelled by the caller: not an API failure
      if (t.timedOut())
        throw new NetworkError(`The API did not answer within ${Math.round(timeoutMs / 1000)} s`);
      throw new NetworkError(`Could not reach the API (${(err as Error)?.message ?? String(err)})`);
    } finally {
      t.done();
    }
  }

  async function getJson(path: string, signal?: AbortSignal): Promise<unknown> {
    let res = await send(path, await token(false), signal);
    if (res.status === 401) {
      // The token may have just expired or been rotated: refresh once and try again.
      res = await send(path, await token(true), signal);
      if (res.status === 401)
        throw new SessionExpiredError(
          "The API no longer accepts your session. Please sign in again.",
        );
    }
    if (!res.ok)
      throw new ApiError(
        res.status,
        `${path.split("?")[0]}: HTTP ${res.status} ${await errorMessage(res)}`,
      );
    try {
      return await res.json();
    } catch {
      throw new BadResponseError(`${path.split("?")[0]}: the response is not JSON`);
    }
  }

  const range = (from: number, to: number) => `from=${Math.floor(from)}&to=${Math.ceil(to)}`;
  return {
    async instruments(signal) {
      return parseInstruments(await getJson(pathOf("instruments", {}), signal));
    },
    async series(instrument, from, to, signal, stepMs) {
      const path = pathOf("series", { id: instrument });
      const step = stepMs === undefined ? "" : `&step=${stepMs}`;
      return parsePanes(await getJson(`${path}?${range(from, to)}${step}`, signal));
    },
    async windows(instrument, from, to, signal) {
      const path = pathOf("windows", { id: instrument });
      return parseWindows(await getJson(`${path}?${range(from, to)}`, signal));
    },
  };
}
