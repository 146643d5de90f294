/**
 * The dashboard's settings. NextjsSite (AWS) and the local runtime set them as NEXT_PUBLIC_*
 * variables; Next inlines them at build time, so each one must be read by its literal name.
 */

export interface DashboardConfig {
  apiUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** Local only: cognito-local's URL, passed to Amplify as `Auth.Cognito.userPoolEndpoint`. */
  cognitoEndpoint?: string;
  /** Sliding window size and slide (pane) of the back end, for the one-minute maximum. */
  windowSizeMs: number;
  paneMs: number;
}

export type ConfigResult =
  { ok: true; config: DashboardConfig } | { ok: false; problems: string[] };

export interface RawConfig {
  NEXT_PUBLIC_API_URL?: string;
  NEXT_PUBLIC_REGION?: string;
  NEXT_PUBLIC_USER_POOL_ID?: string;
  NEXT_PUBLIC_USER_POOL_CLIENT_ID?: string;
  NEXT_PUBLIC_COGNITO_ENDPOINT?: string;
  NEXT_PUBLIC_WINDOW_SIZE_MS?: string;
  NEXT_PUBLIC_WINDOW_SLIDE_MS?: string;
}

export function rawConfigFromEnv(): RawConfig {
  return {
    NEXT_PUBLIC_API_URL: process.env.NEXT_PUBLIC_API_URL,
    NEXT_PUBLIC_REGION: process.env.NEXT_PUBLIC_REGION,
    NEXT_PUBLIC_USER_POOL_ID: process.env.NEXT_PUBLIC_USER_POOL_ID,
    NEXT_PUBLIC_USER_POOL_CLIENT_ID: process.env.NEXT_PUBLIC_USER_POOL_CLIENT_ID,
    NEXT_PUBLIC_COGNITO_ENDPOINT: process.env.NEXT_PUBLIC_COGNITO_ENDPOINT,
    NEXT_PUBLIC_WINDOW_SIZE_MS: process.env.NEXT_PUBLIC_WINDOW_SIZE_MS,
    NEXT_PUBLIC_WINDOW_SLIDE_MS: process.env.NEXT_PUBLIC_WINDOW_SLIDE_MS,
  };
}

const REQUIRED = [
  "NEXT_PUBLIC_API_URL",
  "NEXT_PUBLIC_REGION",
  "NEXT_PUBLIC_USER_POOL_ID",
  "NEXT_PUBLIC_USER_POOL_CLIENT_ID",
] as const;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

function positiveInt(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function parseConfig(raw: RawConfig): ConfigResult {
  const problems: string[] = [];
  const get = (k: keyof RawConfig) => raw[k]?.trim() || undefined;
  for (const key of REQUIRED) {
    if (!get(key)) problems.push(`${key} is not set`);
  }
  const apiUrl = get("NEXT_PUBLIC_API_URL");
  if (apiUrl && !isHttpUrl(apiUrl))
    problems.push(`NEXT_PUBLIC_API_URL is not an http(s) URL: ${apiUrl}`);
  const poolId = get("NEXT_PUBLIC_USER_POOL_ID");
  if (poolId && !poolId.includes("_"))
    problems.push(`NEXT_PUBLIC_USER_POOL_ID does not look like a user pool id: ${poolId}`);
  const cognitoEndpoint = get("NEXT_PUBLIC_COGNITO_ENDPOINT");
  if (cognitoEndpoint && !isHttpUrl(cognitoEndpoint)) {
    problems.push(`NEXT_PUBLIC_COGNITO_ENDPOINT is not an http(s) URL: ${cognitoEndpoint}`);
  }
  const windowSizeMs = positiveInt(get("NEXT_PUBLIC_WINDOW_SIZE_MS"), 60_000);
  const paneMs = positiveInt(get("NEXT_PUBLIC_WINDOW_SLIDE_MS"), 10_000);
  if (windowSizeMs === undefined)
    problems.push("NEXT_PUBLIC_WINDOW_SIZE_MS must be a positive whole number of milliseconds");
  if (paneMs === undefined)
    problems.push("NEXT_PUBLIC_WINDOW_SLIDE_MS must be a positive whole number of milliseconds");
  if (windowSizeMs && paneMs && windowSizeMs % paneMs !== 0) {
    problems.push(
      "NEXT_PUBLIC_WINDOW_SIZE_MS must be a whole number of NEXT_PUBLIC_WINDOW_SLIDE_MS",
    );
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      apiUrl: apiUrl!.replace(/\/+$/, ""),
      region: get("NEXT_PUBLIC_REGION")!,
      userPoolId: poolId!,
      userPoolClientId: get("NEXT_PUBLIC_USER_POOL_CLIENT_ID")!,
      ...(cognitoEndpoint ? { cognitoEndpoint: cognitoEndpoint.replace(/\/+$/, "") } : {}),
      windowSizeMs: windowSizeMs!,
      paneMs: paneMs!,
    },
  };
}
