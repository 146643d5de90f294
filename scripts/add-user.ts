/**
 * Adds a user to a stage's Cognito user pool, or to the local runtime's.
 *
 *   npx tsx scripts/add-user.ts --email ana@example.com --stage staging
 *   npx tsx scripts/add-user.ts --email ana@example.com --local
 *
 * The user is created confirmed, without Cognito sending an invitation (AdminCreateUser with
 * MessageAction SUPPRESS), and given a permanent password (AdminSetUserPassword), printed once
 * when it was generated here. The user pool id comes from the stage's SST outputs
 * (`.sst/outputs.json`, written by `sst deploy`; output UserPoolId of the Auth stack) or from
 * the local runtime's `.local/outputs.json`; `--user-pool-id` overrides both.
 * Production has self sign-up turned off (stacks/stage-config.ts): this is how its users are added.
 */
import { randomInt } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  type CognitoIdentityProviderClientConfig,
} from "@aws-sdk/client-cognito-identity-provider";
import { readJsonFile } from "@tickstream/tools/json-file";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const USAGE = `Usage: npx tsx scripts/add-user.ts --email ADDRESS (--stage NAME | --local) [flags]

Adds a confirmed user to a user pool, with a permanent password and no invitation e-mail.

  --email ADDRESS       the user's e-mail address (also the username)
  --stage NAME          a deployed stage: pool id and region from .sst/outputs.json
  --local               the local runtime: pool and endpoint from .local/outputs.json
  --password TEXT       the password (default: a generated one, printed once)
  --reset-password      if the user exists, set the password instead of failing
  --user-pool-id ID     use this pool (overrides the outputs)
  --region REGION       AWS region (default: from the outputs, then the AWS config)
  --outputs PATH        the outputs file to read (default: per --stage / --local as above)
  -h, --help            show this help

Exit status: 0 done, 1 failed (e.g. the user exists), 2 bad command line.`;

export class UsageError extends Error {}

export interface AddUserArgs {
  email: string;
  stage?: string;
  local: boolean;
  password?: string;
  resetPassword: boolean;
  userPoolId?: string;
  region?: string;
  outputs?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function parseAddUserArgs(argv: string[]): AddUserArgs | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        email: { type: "string" },
        stage: { type: "string" },
        local: { type: "boolean" },
        password: { type: "string" },
        "reset-password": { type: "boolean" },
        "user-pool-id": { type: "string" },
        region: { type: "string" },
        outputs: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return "help";
  if (!values.email) throw new UsageError("--email is required");
  if (!EMAIL.test(values.email))
    throw new UsageError(`--email must be an e-mail address, got '${values.email}'`);
  if ((values.stage === undefined) === (values.local !== true))
    throw new UsageError("give exactly one of --stage NAME and --local");
  if (values.stage !== undefined && !/^[A-Za-z][A-Za-z0-9-]*$/.test(values.stage)) {
    throw new UsageError(
      `--stage must be a stage name (letters, digits, dashes), got '${values.stage}'`,
    );
  }
  return {
    email: values.email,
    stage: values.stage,
    local: values.local === true,
    password: values.password,
    resetPassword: values["reset-password"] === true,
    userPoolId: values["user-pool-id"],
    region: values.region,
    outputs: values.outputs,
  };
}

/** Generated passwords satisfy Cognito's default policy: upper, lower, digit and symbol. */
export function generatePassword(length = 20): string {
  const sets = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!#%+-.=?@^_"];
  const all = sets.join("");
  const chars = sets.map((s) => s[randomInt(s.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join("");
}

export interface PoolTarget {
  userPoolId: string;
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  description: string;
}

function readJson<T>(file: string, hint: string): T {
  if (!existsSync(file)) throw new Error(`${file} not found: ${hint}`);
  return readJsonFile<T>(file);
}

/** Finds the user pool of a stage in SST's outputs: stacks "<stage>-<app>-*", key UserPoolId. */
export function findUserPool(
  outputs: Record<string, Record<string, string>>,
  stage: string,
): { userPoolId: string; region?: string } | undefined {
  for (const [stack, values] of Object.entries(outputs)) {
    if (!stack.startsWith(`${stage}-`) || typeof values !== "object" || values === null) continue;
    const entry = Object.entries(values).find(([k]) => k.toLowerCase() === "userpoolid");
    if (entry && typeof entry[1] === "string" && entry[1]) {
      const region = values.Region ?? /^([a-z]{2}(?:-[a-z]+)+-\d)_/.exec(entry[1])?.[1];
      return { userPoolId: entry[1], region };
    }
  }
  return undefined;
}

export function resolvePool(args: AddUserArgs, root = ROOT): PoolTarget {
  if (args.local) {
    const file = path.resolve(root, args.outputs ?? ".local/outputs.json");
    const out = readJson<{
      userPoolId?: string;
      cognitoEndpoint?: string;
      region?: string;
      credentials?: { accessKeyId: string; secretAccessKey: string };
    }>(file, "start the local runtime with `npm start` first");
    const userPoolId = args.userPoolId ?? out.userPoolId;
    if (!userPoolId || !out.cognitoEndpoint)
      throw new Error(`${file} names no user pool or Cognito endpoint`);
    return {
      userPoolId,
      region: args.region ?? out.region ?? "us-east-1",
      endpoint: out.cognitoEndpoint,
      credentials: out.credentials ?? { accessKeyId: "local", secretAccessKey: "local" },
      description: `local user pool ${userPoolId} (${out.cognitoEndpoint})`,
    };
  }
  const stage = args.stage!;
  if (args.userPoolId) {
    return {
      userPoolId: args.userPoolId,
      region: args.region,
      description: `user pool ${args.userPoolId} (stage ${stage})`,
    };
  }
  const file = path.resolve(root, args.outputs ?? ".sst/outputs.json");
  const found = findUserPool(
    readJson<Record<string, Record<string, string>>>(
      file,
      `deploy the stage (npx sst deploy --stage ${stage}) or pass --user-pool-id`,
    ),
    stage,
  );
  if (!found)
    throw new Error(
      `${file} has no UserPoolId output for stage ${stage}: deploy it from this checkout or pass --user-pool-id`,
    );
  return {
    ...found,
    region: args.region ?? found.region,
    description: `user pool ${found.userPoolId} of stage ${stage}`,
  };
}

export async function addUser(
  target: PoolTarget,
  user: { email: string; password: string; resetPassword?: boolean },
  clientConfig: CognitoIdentityProviderClientConfig = {},
): Promise<{ created: boolean }> {
  const client = new CognitoIdentityProviderClient({
    ...(target.region ? { region: target.region } : {}),
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
    ...clientConfig,
  });
  try {
    let created = true;
    try {
      await client.send(
        new AdminCreateUserCommand({
          UserPoolId: target.userPoolId,
          Username: user.email,
          MessageAction: "SUPPRESS",
          UserAttributes: [
            { Name: "email", Value: user.email },
            { Name: "email_verified", Value: "true" },
          ],
        }),
      );
    } catch (err) {
      if ((err as Error).name !== "UsernameExistsException") throw err;
      if (!user.resetPassword)
        throw new Error(
          `${user.email} already exists in ${target.description} (pass --reset-password to set a new password)`,
        );
      created = false;
    }
    await client.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: target.userPoolId,
        Username: user.email,
        Password: user.password,
        Permanent: true,
      }),
    );
    return { created };
  } finally {
    client.destroy();
  }
}

export async function main(argv: string[]): Promise<number> {
  let args: AddUserArgs | "help";
  try {
    args = parseAddUserArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const target = resolvePool(args);
    const password = args.password ?? generatePassword();
    const { created } = await addUser(target, {
      email: args.email,
      password,
      resetPassword: args.resetPassword,
    });
    process.stdout.write(
      `${created ? "added" : "updated"} ${args.email} in ${target.description}\n`,
    );
    if (!args.password) process.stdout.write(`password: ${password}\n`);
    return 0;
  } catch (err) {
    const e = err as Error;
    const hint =
      e.name === "InvalidPasswordException" ? " (Cognito's password policy refused it)" : "";
    process.stderr.write(`error: ${e.message}${hint}\n`);
    return 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
