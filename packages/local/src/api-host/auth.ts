import { JwtRsaVerifier } from "aws-jwt-verify";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import type { JwtPayload } from "aws-jwt-verify/jwt-model";

/**
 * Checks a bearer token the way API Gateway's JWT authorizer configured with a Cognito user pool
 * does: RS256 signature against the pool's JWKS, `iss` equal to the pool's issuer, the app
 * client as audience (`aud` of an ID token, `client_id` of an access token), `token_use` of
 * "id" or "access", and the time claims (`exp`, `nbf`, `iat`).
 */

export interface JwtAuthorizerConfig {
  /** `http://127.0.0.1:<port>/<poolId>` for cognito-local. */
  issuer: string;
  /** The app client ids accepted as audience. */
  audience: string[];
}

export type AuthResult =
  { ok: true; claims: JwtPayload; scopes: string[] | null } | { ok: false; reason: string };

/** aws-jwt-verify's default fetcher refuses plain http; cognito-local serves its JWKS over http. */
const httpFetcher = {
  async fetch(uri: string): Promise<ArrayBuffer> {
    const res = await fetch(uri);
    if (!res.ok) throw new Error(`JWKS fetch from ${uri} answered ${res.status}`);
    return res.arrayBuffer();
  },
};

export function createJwtAuthorizer(config: JwtAuthorizerConfig) {
  const verifier = JwtRsaVerifier.create(
    {
      issuer: config.issuer,
      jwksUri: `${config.issuer}/.well-known/jwks.json`,
      // Checked below, since an access token carries the client in `client_id` instead.
      audience: null,
      customJwtCheck: ({ payload }) => {
        const use = payload.token_use;
        if (use === "id") {
          const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
          if (!aud.some((a) => typeof a === "string" && config.audience.includes(a))) {
            throw new Error("audience not allowed");
          }
        } else if (use === "access") {
          if (
            typeof payload.client_id !== "string" ||
            !config.audience.includes(payload.client_id)
          ) {
            throw new Error("client_id not allowed");
          }
        } else {
          throw new Error("token_use must be id or access");
        }
      },
    },
    { jwksCache: new SimpleJwksCache({ fetcher: httpFetcher }) },
  );

  return async function authorize(authorization: string | undefined): Promise<AuthResult> {
    if (!authorization) return { ok: false, reason: "no authorization header" };
    const token = authorization.replace(/^Bearer\s+/i, "").trim();
    if (!token) return { ok: false, reason: "empty token" };
    try {
      const claims = await verifier.verify(token);
      const scope =
        typeof claims.scope === "string" ? claims.scope.split(" ").filter(Boolean) : null;
      return { ok: true, claims, scopes: scope };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  };
}
