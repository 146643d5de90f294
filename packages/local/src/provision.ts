import { randomBytes } from "node:crypto";
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  type CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { BUCKETS, STREAMS, TABLES } from "@tickstream/core/resources";
import {
  ensureStream,
  ensureTables,
  type TableKey,
  type TableNames,
} from "@tickstream/testkit/provision";
import type { LocalClients } from "./clients.js";
import { readJson, writeJsonAtomic } from "./files.js";

/**
 * Creates everything the resource description names on the local servers: tables, streams,
 * the archive bucket, and a Cognito user pool with the dashboard's app client and a demo user.
 * Idempotent: the pool and client ids are kept in the data directory's state file and reused.
 */

export const DEMO_USERNAME = "demo@tickstream.local";
const POOL_NAME = "tickstream-local";
const CLIENT_NAME = "tickstream-web";

export interface LocalState {
  userPoolId?: string;
  userPoolClientId?: string;
  demoUser?: { username: string; password: string };
}

export interface Provisioned {
  tableNames: TableNames;
  pricesStream: string;
  windowsStream: string;
  archiveBucket: string;
  userPoolId: string;
  userPoolClientId: string;
  demoUser: { username: string; password: string };
}

export function localTableNames(): TableNames {
  return Object.fromEntries(
    (Object.keys(TABLES) as TableKey[]).map((k) => [k, TABLES[k].localName]),
  ) as TableNames;
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string }).name ?? "";
  return (
    name === "ResourceNotFoundException" ||
    name === "UserNotFoundException" ||
    name === "NotFound" ||
    name === "NoSuchBucket"
  );
}

/** Whether `describe` finds what it asks for: false on a not-found answer, other errors thrown. */
async function found(describe: () => Promise<unknown>): Promise<boolean> {
  try {
    await describe();
    return true;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return false;
  }
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  if (await found(() => s3.send(new HeadBucketCommand({ Bucket: bucket })))) return;
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw err;
  }
}

function demoPassword(): string {
  // Meets Cognito's default policy: upper, lower, digit, symbol, 8+ characters.
  return `Demo-${randomBytes(4).toString("hex")}-Pw1`;
}

async function ensureUserPool(
  cognito: CognitoIdentityProviderClient,
  state: LocalState,
): Promise<string> {
  const kept = state.userPoolId;
  const describe = () => cognito.send(new DescribeUserPoolCommand({ UserPoolId: kept }));
  if (kept && (await found(describe))) return kept;
  const { UserPool } = await cognito.send(
    new CreateUserPoolCommand({
      PoolName: POOL_NAME,
      UsernameAttributes: ["email"],
      AutoVerifiedAttributes: ["email"],
    }),
  );
  if (!UserPool?.Id) throw new Error("cognito-local created a user pool without an id");
  state.userPoolClientId = undefined;
  return UserPool.Id;
}

async function ensureClient(
  cognito: CognitoIdentityProviderClient,
  poolId: string,
  state: LocalState,
): Promise<string> {
  const kept = state.userPoolClientId;
  const describe = () =>
    cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: kept }));
  if (kept && (await found(describe))) return kept;
  const { UserPoolClient } = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: CLIENT_NAME,
      GenerateSecret: false,
      ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    }),
  );
  if (!UserPoolClient?.ClientId)
    throw new Error("cognito-local created an app client without an id");
  return UserPoolClient.ClientId;
}

async function ensureDemoUser(
  cognito: CognitoIdentityProviderClient,
  poolId: string,
  user: { username: string; password: string },
): Promise<void> {
  const exists = await found(() =>
    cognito.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: user.username })),
  );
  if (!exists) {
    await cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: poolId,
        Username: user.username,
        MessageAction: "SUPPRESS",
        UserAttributes: [
          { Name: "email", Value: user.username },
          { Name: "email_verified", Value: "true" },
        ],
      }),
    );
  }
  await cognito.send(
    new AdminSetUserPasswordCommand({
      UserPoolId: poolId,
      Username: user.username,
      Password: user.password,
      Permanent: true,
    }),
  );
}

export async function provisionLocal(
  clients: LocalClients,
  statePath: string,
  options: { pricesShards?: number; demoPassword?: string } = {},
): Promise<Provisioned> {
  const tableNames = localTableNames();
  const pricesStream = STREAMS.prices.localName;
  const windowsStream = STREAMS.windows.localName;
  const archiveBucket = BUCKETS.archive.localName;

  const state: LocalState = (await readJson<LocalState>(statePath)) ?? {};
  await Promise.all([
    ensureTables(clients.dynamodb, tableNames),
    ensureStream(clients.kinesis, pricesStream, options.pricesShards ?? STREAMS.prices.localShards),
    ensureStream(clients.kinesis, windowsStream, STREAMS.windows.localShards),
    ensureBucket(clients.s3, archiveBucket),
  ]);

  const userPoolId = await ensureUserPool(clients.cognito, state);
  const userPoolClientId = await ensureClient(clients.cognito, userPoolId, state);
  const demoUser = {
    username: state.demoUser?.username ?? DEMO_USERNAME,
    password: options.demoPassword ?? state.demoUser?.password ?? demoPassword(),
  };
  await ensureDemoUser(clients.cognito, userPoolId, demoUser);
  await writeJsonAtomic(statePath, {
    ...state,
    userPoolId,
    userPoolClientId,
    demoUser,
  } satisfies LocalState);

  return {
    tableNames,
    pricesStream,
    windowsStream,
    archiveBucket,
    userPoolId,
    userPoolClientId,
    demoUser,
  };
}
