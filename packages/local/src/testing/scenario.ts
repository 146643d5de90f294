import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { encodePipe } from "@tickstream/core/ticks/encode";
import type { LocalOutputs } from "../outputs.js";
import type { PortMap } from "../ports.js";
import { signIn } from "./tokens.js";

/**
 * Test scenario helpers: ticks with known answers, an outside client (what a user's own tool
 * would build from outputs.json), and the brute-force results the API must match.
 */

export interface SentTick {
  instrument: string;
  eventTime: number;
  priceCents: number;
  data: string;
}

/** Pipe-format ticks with distinct, increasing event times, spread over instruments. */
export function makeTicks(options: {
  count: number;
  instruments: string[];
  startTime: number;
  stepMs: number;
  seed?: number;
}): SentTick[] {
  let s = options.seed ?? 42;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  return Array.from({ length: options.count }, (_, i) => {
    const instrument = options.instruments[i % options.instruments.length]!;
    const eventTime = options.startTime + i * options.stepMs;
    const priceCents = 1000 + Math.floor(rand() * 99_000);
    const data = encodePipe({
      instrument,
      eventTime,
      receivedAt: eventTime + 7,
      level: i % 10,
      pricesCents: [priceCents, priceCents + 3],
    });
    return { instrument, eventTime, priceCents, data };
  });
}

export function outsideClients(o: LocalOutputs) {
  const credentials = { accessKeyId: "AKIDOUTSIDETOOL", secretAccessKey: "not-a-secret" };
  return {
    kinesis: new KinesisClient({
      region: o.region,
      endpoint: o.kinesisEndpoint,
      credentials,
      requestHandler: new NodeHttpHandler(),
    }),
    s3: new S3Client({
      region: o.region,
      endpoint: o.s3Endpoint,
      credentials,
      forcePathStyle: true,
    }),
    cognito: new CognitoIdentityProviderClient({
      region: o.region,
      endpoint: o.cognitoEndpoint,
      credentials,
    }),
    destroy() {
      this.kinesis.destroy();
      this.s3.destroy();
      this.cognito.destroy();
    },
  };
}

/** The ports a running runtime took, so that a restart on the same data directory takes them again. */
export function portsOf(o: LocalOutputs): Partial<PortMap> {
  const port = (url: string) => Number(new URL(url).port);
  return {
    kinesis: port(o.kinesisEndpoint),
    dynamodb: port(o.dynamodbEndpoint),
    s3: port(o.s3Endpoint),
    cognito: port(o.cognitoEndpoint),
    api: port(o.apiUrl),
  };
}

/** Puts records in order, 500 at a time; returns the last sequence number put to each shard. */
export async function putData(
  kinesis: KinesisClient,
  stream: string,
  items: { data: string | Buffer; key: string }[],
): Promise<Map<string, string>> {
  const last = new Map<string, string>();
  for (let i = 0; i < items.length; i += 500) {
    const chunk = items.slice(i, i + 500);
    const res = await kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: chunk.map((r) => ({
          Data: typeof r.data === "string" ? Buffer.from(r.data) : r.data,
          PartitionKey: r.key,
        })),
      }),
    );
    if ((res.FailedRecordCount ?? 0) > 0)
      throw new Error(`${res.FailedRecordCount} records failed to put`);
    for (const r of res.Records ?? []) last.set(r.ShardId!, r.SequenceNumber!);
  }
  return last;
}

export async function idToken(
  o: LocalOutputs,
  cognito: CognitoIdentityProviderClient,
): Promise<string> {
  return (await signIn(cognito, o.userPoolClientId, o.demoUser.username, o.demoUser.password))
    .idToken;
}

/**
 * Signs a user of the local pool in (the demo user unless named) through a client of its own,
 * as a tool would from outputs.json; returns the ID token.
 */
export async function signInLocal(
  o: LocalOutputs,
  user: { username: string; password: string } = o.demoUser,
): Promise<string> {
  const cognito = new CognitoIdentityProviderClient({
    region: o.region,
    endpoint: o.cognitoEndpoint,
    credentials: o.credentials,
  });
  try {
    return (await signIn(cognito, o.userPoolClientId, user.username, user.password)).idToken;
  } finally {
    cognito.destroy();
  }
}

export async function getJson<T>(
  o: LocalOutputs,
  path: string,
  token: string,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${o.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as T };
}

const price = (cents: number) => cents / 100;

/** Latest tick per instrument by event time. */
export function expectedLatest(ticks: SentTick[]) {
  const latest = new Map<string, SentTick>();
  for (const t of ticks) {
    const cur = latest.get(t.instrument);
    if (!cur || t.eventTime >= cur.eventTime) latest.set(t.instrument, t);
  }
  return [...latest.values()]
    .map((t) => ({ instrument: t.instrument, price: price(t.priceCents), eventTime: t.eventTime }))
    .sort((a, b) => a.instrument.localeCompare(b.instrument, "en", { numeric: true }));
}

/** Sliding-window maxima of one instrument, by brute force over every tick. */
export function expectedWindows(
  ticks: SentTick[],
  instrument: string,
  sizeMs: number,
  slideMs: number,
) {
  const max = new Map<number, number>();
  for (const t of ticks) {
    if (t.instrument !== instrument) continue;
    const lastStart = Math.floor(t.eventTime / slideMs) * slideMs;
    for (let s = lastStart; s > t.eventTime - sizeMs; s -= slideMs) {
      max.set(s, Math.max(max.get(s) ?? -Infinity, t.priceCents));
    }
  }
  return [...max.entries()]
    .sort(([a], [b]) => a - b)
    .map(([windowStart, cents]) => ({
      windowStart,
      windowEnd: windowStart + sizeMs,
      max: price(cents),
    }));
}

/** Per-pane maxima of one instrument, by brute force. */
export function expectedSeries(ticks: SentTick[], instrument: string, slideMs: number) {
  // Event times are distinct, so first and last by event time are exact.
  const panes = new Map<number, SentTick[]>();
  for (const t of ticks) {
    if (t.instrument !== instrument) continue;
    const p = Math.floor(t.eventTime / slideMs) * slideMs;
    const inPane = panes.get(p);
    if (inPane) inPane.push(t);
    else panes.set(p, [t]);
  }
  return [...panes.entries()]
    .sort(([a], [b]) => a - b)
    .map(([paneStart, inPane]) => {
      const byTime = [...inPane].sort((a, b) => a.eventTime - b.eventTime);
      const cents = inPane.map((t) => t.priceCents);
      const high = price(Math.max(...cents));
      return {
        paneStart,
        open: price(byTime[0]!.priceCents),
        high,
        low: price(Math.min(...cents)),
        close: price(byTime[byTime.length - 1]!.priceCents),
        count: inPane.length,
        max: high,
      };
    });
}
