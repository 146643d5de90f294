import type { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { isConditionalCheckFailed } from "../conditional.js";
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { decodeMaxima, decodePaneEntries, encodeMaxima, encodePaneEntries } from "./codec.js";
import { GLOBAL_KEY, STATE_KINDS, claimSortKey, paneSortKey, paneSortKeyRange, parseClaimSortKey, parsePaneSortKey, padTime } from "./state-keys.js";
import type {
  Activity,
  ClaimKey,
  ClaimOutcome,
  GlobalWatermark,
  PaneItemKey,
  PaneWriteOutcome,
  Reservation,
  ResultItem,
  ShardPaneItem,
  ShardState,
  ShardUpdate,
  WindowStore,
} from "./store.js";
import { NO_WATERMARK } from "./trigger.js";
import { queryAll } from "../query-all.js";

/**
 * The window store on DynamoDB.
 *
 * Panes   pk = bucket ("0".."31"), sk = "<paneStart:16>#<shardId>" (S): d (B: the packed
 *         entries, codec.ts), hw (S), fence (N, rare), expiresAt
 * Windows pk = bucket, sk = windowStart (N): windowEnd, d (B: packed maxima), expiresAt
 * State   pk = kind, sk = key (S): see state-keys.ts
 *
 * Every write is a single-item conditional write; a ConditionalCheckFailed answer is an
 * expected outcome ("already stored", "claimed by another", "changed since read"), never an
 * error. Reads that decide anything are strongly consistent. TTLs (expiresAt, epoch seconds)
 * are wall clock + the retention, so replayed old data is kept as long as fresh data.
 */
export interface WindowTables {
  panes: string;
  windows: string;
  state: string;
}

export interface DynamoWindowStoreOptions {
  doc: DynamoDBDocumentClient;
  tables: WindowTables;
  /** How long panes, results and bookkeeping are kept (config paneRetentionHours). */
  retentionHours: number;
  clock?: () => number;
}

type Item = Record<string, unknown>;

/** An emit claim not marked emitted, as settling reads it. */
export interface OpenClaim extends ClaimKey {
  leaseUntil: number;
  /** Instruments still to put, after a partial put. */
  left?: string[];
}

/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_MAX = 100;

/** An attribute of the item a failed condition returns (marshalled); null: no item returned. */
function failedItemAttribute(err: ConditionalCheckFailedException, name: string): { N?: string; S?: string } | undefined | null {
  const item = (err as { Item?: Record<string, { N?: string; S?: string }> }).Item;
  if (!item) return null; // not returned (older servers): the caller reads the item
  return item[name];
}

function bytesOf(value: unknown): Uint8Array | undefined {
  return value instanceof Uint8Array ? value : undefined;
}

function reservationOf(value: unknown): Reservation | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if ([r.placedAt, r.until, r.fromPane, r.toPane].some((v) => typeof v !== "number")) return undefined;
  return { placedAt: r.placedAt as number, until: r.until as number, fromPane: r.fromPane as number, toPane: r.toPane as number };
}

export class DynamoWindowStore implements WindowStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tables: WindowTables;
  private readonly retentionSeconds: number;
  private readonly clock: () => number;
  private writes = 0;

  constructor(options: DynamoWindowStoreOptions) {
    this.doc = options.doc;
    this.tables = options.tables;
    this.retentionSeconds = options.retentionHours * 3600;
    this.clock = options.clock ?? (() => Date.now());
  }

  get writesIssued(): number {
    return this.writes;
  }

  private expiresAt(): number {
    return Math.floor(this.clock() / 1000) + this.retentionSeconds;
  }

  /** Sends a conditional write; true if it passed, the failure if its condition failed. */
  private async conditional(command: UpdateCommand | PutCommand): Promise<true | ConditionalCheckFailedException> {
    this.writes++;
    try {
      await this.doc.send(command as UpdateCommand);
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return err;
      throw err;
    }
  }

  /** A conditional update of one State item: true, or the condition's failure. */
  private updateState(input: Omit<UpdateCommandInput, "TableName">): Promise<true | ConditionalCheckFailedException> {
    return this.conditional(new UpdateCommand({ TableName: this.tables.state, ...input }));
  }

  /** Every page of a Query, or the first `limit` items. */
  private queryAll(input: QueryCommandInput, limit?: number): Promise<Item[]> {
    return queryAll(this.doc, input, limit);
  }

  // --- the global watermark ---------------------------------------------------------------

  async readGlobal(): Promise<GlobalWatermark> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tables.state, Key: { pk: STATE_KINDS.watermark, sk: GLOBAL_KEY }, ConsistentRead: true }),
    );
    const watermark = typeof Item?.watermark === "number" ? Item.watermark : NO_WATERMARK;
    const target = typeof Item?.target === "number" ? Item.target : NO_WATERMARK;
    return {
      watermark,
      target: Math.max(target, watermark),
      ...(typeof Item?.emittedThrough === "number" ? { emittedThrough: Item.emittedThrough } : {}),
      ...(typeof Item?.epoch === "string" ? { epoch: Item.epoch } : {}),
      ...(typeof Item?.lastActivityAt === "number" ? { lastActivityAt: Item.lastActivityAt } : {}),
      ...(typeof Item?.resumedAt === "number" ? { resumedAt: Item.resumedAt } : {}),
    };
  }

  /** attribute = max(attribute, value) on one State item (the global one unless `key`). */
  private async raise(attribute: string, value: number, key: { pk: string; sk: string } = { pk: STATE_KINDS.watermark, sk: GLOBAL_KEY }): Promise<void> {
    await this.updateState({
      Key: key,
      UpdateExpression: "SET #a = :v",
      ConditionExpression: "attribute_not_exists(#a) OR #a < :v",
      ExpressionAttributeNames: { "#a": attribute },
      ExpressionAttributeValues: { ":v": value },
    });
  }

  async recordActivity(activity: Activity): Promise<void> {
    const key = { pk: STATE_KINDS.watermark, sk: GLOBAL_KEY };
    const passed = await this.updateState({
      Key: key,
      UpdateExpression: `SET epoch = if_not_exists(epoch, :e), lastActivityAt = :now${activity.resumed ? ", resumedAt = :now" : ""}`,
      ConditionExpression: "attribute_not_exists(lastActivityAt) OR lastActivityAt < :now",
      ExpressionAttributeValues: { ":e": activity.epoch, ":now": activity.now },
    });
    if (passed === true) return;
    // Another activity recorded a later time: only make sure the item has an epoch.
    await this.updateState({
      Key: key,
      UpdateExpression: "SET epoch = :e",
      ConditionExpression: "attribute_not_exists(epoch)",
      ExpressionAttributeValues: { ":e": activity.epoch },
    });
  }

  raiseTarget(value: number): Promise<void> {
    return this.raise("target", value);
  }

  raiseWatermark(value: number): Promise<void> {
    return this.raise("watermark", value);
  }

  raiseEmittedThrough(value: number): Promise<void> {
    return this.raise("emittedThrough", value);
  }

  // --- shards -------------------------------------------------------------------------------

  async listShards(): Promise<ShardState[]> {
    const items = await this.queryAll({
      TableName: this.tables.state,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": STATE_KINDS.shard },
      ConsistentRead: true,
    });
    return items.map((i) => {
      const reservation = reservationOf(i.reservation);
      return {
        shardId: String(i.sk),
        lastBatchAt: Number(i.lastBatchAt ?? 0),
        ...(typeof i.maxEventTime === "number" ? { maxEventTime: i.maxEventTime } : {}),
        ...(typeof i.pendingMax === "number" ? { pendingMax: i.pendingMax } : {}),
        ...(typeof i.firstSeenAt === "number" ? { firstSeenAt: i.firstSeenAt } : {}),
        ...(reservation ? { reservation } : {}),
      };
    });
  }

  async noteShard(shardId: string, now: number): Promise<void> {
    await this.updateState({
      Key: { pk: STATE_KINDS.shard, sk: shardId },
      UpdateExpression: "SET firstSeenAt = :now",
      ConditionExpression: "attribute_not_exists(firstSeenAt)",
      ExpressionAttributeValues: { ":now": now },
    });
  }

  async recordShard(shardId: string, update: ShardUpdate): Promise<void> {
    const key = { pk: STATE_KINDS.shard, sk: shardId };
    const raised = (["maxEventTime", "pendingMax"] as const).filter((a) => update[a] !== undefined);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    if (update.lastBatchAt !== undefined) {
      values[":now"] = update.lastBatchAt;
      sets.push("lastBatchAt = :now");
    }
    const conditions: string[] = [];
    raised.forEach((a, i) => {
      names[`#r${i}`] = a;
      values[`:r${i}`] = update[a];
      sets.push(`#r${i} = :r${i}`);
      conditions.push(`(attribute_not_exists(#r${i}) OR #r${i} <= :r${i})`);
    });
    const remove = update.clearReservation ? " REMOVE reservation" : "";
    if (sets.length === 0) {
      if (update.clearReservation) await this.clearReservation(shardId);
      return;
    }
    const passed = await this.updateState({
      Key: key,
      UpdateExpression: `SET ${sets.join(", ")}${remove}`,
      ...(conditions.length ? { ConditionExpression: conditions.join(" AND "), ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
    });
    if (passed === true) return;
    // A stored value is already higher: raise each attribute on its own, keep the higher ones.
    if (update.lastBatchAt !== undefined || update.clearReservation) {
      await this.updateState({
        Key: key,
        UpdateExpression: update.lastBatchAt !== undefined ? `SET lastBatchAt = :now${remove}` : remove.trim(),
        ...(update.lastBatchAt !== undefined ? { ExpressionAttributeValues: { ":now": update.lastBatchAt } } : {}),
      });
    }
    for (const a of raised) await this.raise(a, update[a]!, key);
  }

  async touchShard(shardId: string, now: number, activeSince: number): Promise<void> {
    await this.updateState({
      Key: { pk: STATE_KINDS.shard, sk: shardId },
      UpdateExpression: "SET lastBatchAt = :now",
      ConditionExpression: "lastBatchAt >= :since",
      ExpressionAttributeValues: { ":now": now, ":since": activeSince },
    });
  }

  async reserve(shardId: string, reservation: Reservation): Promise<void> {
    this.writes++;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tables.state,
        Key: { pk: STATE_KINDS.shard, sk: shardId },
        UpdateExpression: "SET reservation = :r",
        ExpressionAttributeValues: { ":r": { ...reservation } },
      }),
    );
  }

  async clearReservation(shardId: string, only?: Reservation): Promise<void> {
    await this.updateState({
      Key: { pk: STATE_KINDS.shard, sk: shardId },
      UpdateExpression: "REMOVE reservation",
      // Never creates the item: a shard item without progress would hold the watermark.
      ConditionExpression: only ? "reservation.placedAt = :p AND reservation.#u = :u" : "attribute_exists(reservation)",
      ...(only ? { ExpressionAttributeNames: { "#u": "until" }, ExpressionAttributeValues: { ":p": only.placedAt, ":u": only.until } } : {}),
    });
  }

  // --- panes --------------------------------------------------------------------------------

  private paneItemOf(raw: Item, bucket: number): ShardPaneItem {
    const { paneStart, shardId } = parsePaneSortKey(String(raw.sk));
    const bytes = bytesOf(raw.d);
    return {
      paneStart,
      bucket,
      shardId,
      ...(typeof raw.hw === "string" ? { hw: raw.hw } : {}),
      ...(typeof raw.fence === "number" ? { fence: raw.fence } : {}),
      entries: bytes ? decodePaneEntries(paneStart, bytes) : new Map(),
    };
  }

  async readShardPanes(shardId: string, keys: readonly PaneItemKey[]): Promise<ShardPaneItem[]> {
    const out: ShardPaneItem[] = [];
    for (let i = 0; i < keys.length; i += BATCH_GET_MAX) {
      let request: Record<string, unknown>[] | undefined = keys.slice(i, i + BATCH_GET_MAX).map((k) => ({ pk: String(k.bucket), sk: paneSortKey(k.paneStart, shardId) }));
      while (request && request.length > 0) {
        const res = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tables.panes]: { Keys: request, ConsistentRead: true } } }));
        for (const raw of (res.Responses?.[this.tables.panes] ?? []) as Item[]) out.push(this.paneItemOf(raw, Number(raw.pk)));
        request = res.UnprocessedKeys?.[this.tables.panes]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return out;
  }

  async writeShardPane(item: ShardPaneItem, expectedHw: string | undefined, placedAt: number): Promise<PaneWriteOutcome> {
    const key = { pk: String(item.bucket), sk: paneSortKey(item.paneStart, item.shardId) };
    const passed = await this.conditional(
      new UpdateCommand({
        TableName: this.tables.panes,
        Key: key,
        // SET keeps a fence an advance may have put on the item.
        UpdateExpression: "SET d = :d, hw = :hw, expiresAt = :e",
        ConditionExpression: `${expectedHw === undefined ? "attribute_not_exists(hw)" : "hw = :was"} AND (attribute_not_exists(fence) OR fence <= :p)`,
        ExpressionAttributeValues: {
          ":d": encodePaneEntries(item.paneStart, item.entries),
          ":hw": item.hw,
          ":e": this.expiresAt(),
          ":p": placedAt,
          ...(expectedHw === undefined ? {} : { ":was": expectedHw }),
        },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    if (passed === true) return { kind: "written" };
    let fence: number | undefined;
    const returned = failedItemAttribute(passed, "fence");
    if (returned === null) {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.tables.panes, Key: key, ConsistentRead: true }));
      fence = typeof Item?.fence === "number" ? Item.fence : undefined;
    } else if (returned?.N !== undefined) fence = Number(returned.N);
    return fence !== undefined && fence > placedAt ? { kind: "fenced", fence } : { kind: "conflict" };
  }

  async fenceShardPanes(shardId: string, keys: readonly PaneItemKey[], value: number): Promise<void> {
    for (const k of keys) {
      await this.conditional(
        new UpdateCommand({
          TableName: this.tables.panes,
          Key: { pk: String(k.bucket), sk: paneSortKey(k.paneStart, shardId) },
          UpdateExpression: "SET fence = :f, expiresAt = if_not_exists(expiresAt, :e)",
          ConditionExpression: "attribute_not_exists(fence) OR fence < :f",
          ExpressionAttributeValues: { ":f": value, ":e": this.expiresAt() },
        }),
      );
    }
  }

  async firstPaneAtOrAfter(bucket: number, from: number): Promise<number | undefined> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tables.panes,
        KeyConditionExpression: "pk = :pk AND sk >= :from",
        ExpressionAttributeValues: { ":pk": String(bucket), ":from": padTime(Math.max(0, from)) },
        ProjectionExpression: "sk",
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const sk = out.Items?.[0]?.sk;
    return typeof sk === "string" ? parsePaneSortKey(sk).paneStart : undefined;
  }

  async readBucketPanes(bucket: number, fromPane: number, toPane: number): Promise<ShardPaneItem[]> {
    const lo = Math.max(0, fromPane);
    if (toPane < lo) return [];
    const { lower, upper } = paneSortKeyRange(lo, toPane);
    const items = await this.queryAll({
      TableName: this.tables.panes,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :a AND :b",
      ExpressionAttributeValues: { ":pk": String(bucket), ":a": lower, ":b": upper },
      ConsistentRead: true,
    });
    return items.map((raw) => this.paneItemOf(raw, bucket));
  }

  // --- final results --------------------------------------------------------------------------

  async putResults(item: ResultItem): Promise<void> {
    await this.conditional(
      new PutCommand({
        TableName: this.tables.windows,
        Item: {
          pk: String(item.bucket),
          sk: item.windowStart,
          windowEnd: item.windowEnd,
          d: encodeMaxima(item.maxima),
          expiresAt: this.expiresAt(),
        },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
  }

  async readBucketResults(bucket: number, fromStart: number, toStart: number, limit?: number): Promise<ResultItem[]> {
    if (toStart < fromStart) return [];
    const items = await this.queryAll(
      {
        TableName: this.tables.windows,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues: { ":pk": String(bucket), ":a": fromStart, ":b": toStart },
        ConsistentRead: true,
      },
      limit,
    );
    const out: ResultItem[] = [];
    for (const i of items) {
      const bytes = bytesOf(i.d);
      if (bytes) out.push({ bucket, windowStart: Number(i.sk), windowEnd: Number(i.windowEnd), maxima: decodeMaxima(bytes) });
    }
    return out;
  }

  // --- emit claims ------------------------------------------------------------------------------

  private claimKey(key: ClaimKey): { pk: string; sk: string } {
    return { pk: STATE_KINDS.emit, sk: claimSortKey(key.windowEnd, key.bucket) };
  }

  async claimEmission(key: ClaimKey, owner: string, now: number, leaseMs: number): Promise<ClaimOutcome> {
    const k = this.claimKey(key);
    this.writes++;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tables.state,
          Key: k,
          UpdateExpression: "SET #o = :o, leaseUntil = :l, windowStart = :s, expiresAt = :e",
          ConditionExpression: "attribute_not_exists(emittedAt) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR #o = :o)",
          ExpressionAttributeNames: { "#o": "owner" },
          ExpressionAttributeValues: { ":o": owner, ":l": now + leaseMs, ":s": key.windowStart, ":now": now, ":e": this.expiresAt() },
          ReturnValues: "ALL_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      const left = out.Attributes?.left;
      return Array.isArray(left) ? { kind: "claimed", left: left.map(String) } : { kind: "claimed" };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      const returned = failedItemAttribute(err, "emittedAt");
      let emitted = returned !== null && returned !== undefined;
      if (returned === null) {
        const { Item } = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: k, ConsistentRead: true }));
        emitted = typeof Item?.emittedAt === "number";
      }
      return emitted ? { kind: "emitted" } : { kind: "busy" };
    }
  }

  async markEmitted(key: ClaimKey, owner: string, now: number): Promise<boolean> {
    const passed = await this.updateState({
      Key: this.claimKey(key),
      UpdateExpression: "SET emittedAt = :now REMOVE #left",
      ConditionExpression: "#o = :o",
      ExpressionAttributeNames: { "#o": "owner", "#left": "left" },
      ExpressionAttributeValues: { ":o": owner, ":now": now },
    });
    return passed === true;
  }

  /**
   * Emit claims not marked emitted, oldest first (settling the claims of a run that died), and
   * how many open claims are of a layout this does not read (left to expire).
   */
  async listOpenClaims(): Promise<{ claims: OpenClaim[]; otherLayout: number }> {
    const items = await this.queryAll({
      TableName: this.tables.state,
      KeyConditionExpression: "pk = :pk",
      FilterExpression: "attribute_not_exists(emittedAt)",
      ExpressionAttributeValues: { ":pk": STATE_KINDS.emit },
      ConsistentRead: true,
    });
    const out: OpenClaim[] = [];
    let otherLayout = 0;
    for (const i of items) {
      if (typeof i.windowStart !== "number") {
        otherLayout += 1;
        continue;
      }
      const { windowEnd, bucket } = parseClaimSortKey(String(i.sk));
      out.push({
        windowEnd,
        bucket,
        windowStart: i.windowStart,
        leaseUntil: Number(i.leaseUntil ?? 0),
        ...(Array.isArray(i.left) ? { left: i.left.map(String) } : {}),
      });
    }
    return { claims: out, otherLayout };
  }

  /**
   * Settles a claim whose owner is gone: marks it emitted, or gives it back (with the
   * instruments still to put, when some of its records went out). False if it was emitted.
   */
  async settleClaim(key: ClaimKey, outcome: { emitted: true; now: number } | { emitted: false; left?: readonly string[] }): Promise<boolean> {
    const passed = await this.updateState({
      Key: this.claimKey(key),
      UpdateExpression: outcome.emitted ? "SET emittedAt = :now REMOVE #left" : outcome.left ? "SET leaseUntil = :zero, #left = :left" : "SET leaseUntil = :zero",
      ConditionExpression: "attribute_not_exists(emittedAt)",
      ...(outcome.emitted || outcome.left ? { ExpressionAttributeNames: { "#left": "left" } } : {}),
      ExpressionAttributeValues: outcome.emitted ? { ":now": outcome.now } : { ":zero": 0, ...(outcome.left ? { ":left": [...outcome.left] } : {}) },
    });
    return passed === true;
  }

  async releaseClaim(key: ClaimKey, owner: string, left?: readonly string[]): Promise<void> {
    await this.updateState({
      Key: this.claimKey(key),
      UpdateExpression: left ? "SET leaseUntil = :zero, #left = :left" : "SET leaseUntil = :zero",
      ConditionExpression: "#o = :o AND attribute_not_exists(emittedAt)",
      ExpressionAttributeNames: { "#o": "owner", ...(left ? { "#left": "left" } : {}) },
      ExpressionAttributeValues: { ":o": owner, ":zero": 0, ...(left ? { ":left": [...left] } : {}) },
    });
  }
}
