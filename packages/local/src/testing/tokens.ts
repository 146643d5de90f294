import { createPrivateKey, createSign } from "node:crypto";
import { createRequire } from "node:module";
import {
  InitiateAuthCommand,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";

/**
 * Token helpers for tests. cognito-local signs with a key that ships inside its package (for
 * local use only), so a test can forge tokens it cannot get from the server, e.g. expired ones.
 */

const require = createRequire(import.meta.url);

export function cognitoLocalPrivateKey(): string {
  return (require("cognito-local/lib/keys/cognitoLocal.private.json") as { pem: string }).pem;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Signs claims as cognito-local does (RS256, kid "CognitoLocal"). */
export function signLikeCognitoLocal(
  claims: Record<string, unknown>,
  key = cognitoLocalPrivateKey(),
): string {
  const head = b64url({ alg: "RS256", typ: "JWT", kid: "CognitoLocal" });
  const body = b64url(claims);
  const signature = createSign("RSA-SHA256")
    .update(`${head}.${body}`)
    .sign(createPrivateKey(key))
    .toString("base64url");
  return `${head}.${body}.${signature}`;
}

export function decodeClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<
    string,
    unknown
  >;
}

export async function signIn(
  cognito: CognitoIdentityProviderClient,
  clientId: string,
  username: string,
  password: string,
): Promise<{ idToken: string; accessToken: string; refreshToken: string }> {
  const res = await cognito.send(
    new InitiateAuthCommand({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  );
  const r = res.AuthenticationResult;
  if (!r?.IdToken || !r.AccessToken) throw new Error("sign-in returned no tokens");
  return { idToken: r.IdToken, accessToken: r.AccessToken, refreshToken: r.RefreshToken ?? "" };
}
