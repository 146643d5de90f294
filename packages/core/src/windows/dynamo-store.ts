import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { StoreConflictError } from "./errors.js";
import type { WindowResult } from "./result.js";
import { GLOBAL_KEY, STATE_KINDS, windowKey, windowKeyRange } from "./state-keys.js";
import type {
  Activity,
  ClaimOutcome,
  GlobalWatermark,
  MergeOutcome,
  OpenWindow,
  OpenWindowRange,
  PaneMax,
  ShardState,
  WindowStore,
} from "./store.js";
import { NO_WATERMARK } from "./trigger.js";

/**
 * The window store on DynamoDB.
 *
 * Panes   pk = instrument, sk = paneStart (N): maxCents, fence, expiresAt
 * Windows pk = instrument, sk = windowStart (N): windowEnd, maxCents, expiresAt
 * State   pk = kind, sk = key (S): see state-keys.ts
 *
 * Every write is a single-item conditional write; a ConditionalCheckFailed answer is an
 * expected outcome ("already at least that", "already stored", "claimed by another"), never an
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

function isConditionFailure(err: unknown): err is ConditionalCheckFailedException {
  return err instanceof ConditionalCheckFailedException || (err as { name?: string } | null)?.name === "ConditionalCheckFailedException";
}

/** A number attribute of the item a failed condition returns (marshalled: {N: "…"}). */
function failedItemNumber(err: ConditionalCheckFailedException, name: string): number | undefined | null {
  const item = (err as { Item?: Record<string, { N?: string }> }).Item;
  if (!item) return null; // not returned (older servers): the caller reads the item
  const n = item[name]?.N;
  return n === undefined ? undefined : Number(n);
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
    this.clock = options.clock ?? Date.now;
  }

  get writesIssued(): number {
    return this.writes;
  }

  private expiresAt(): number {
    return Math.floor(this.clock() / 1000) + this.retentionSeconds;
  }

  /** Sends a conditional write; true if it passed, false if its condition failed. */
  private async conditional(command: UpdateCommand | PutCommand): Promise<true | ConditionalCheckFailedException> {
    this.writes++;
    try {
      await this.doc.send(command as UpdateCommand);
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return err;
      throw err;
    }
  }

  /** Every page of a Query, or the first `limit` items. */
  private async queryAll(input: QueryCommandInput, limit?: number): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const remaining = limit === undefined ? undefined : limit - items.length;
      const out = await this.doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start, ...(remaining === undefined ? {} : { Limit: remaining }) }));
      items.push(...((out.Items ?? []) as Item[]));
      start = out.LastEvaluatedKey;
    } while (start && (limit === undefined || items.length < limit));
    return items;
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
      ...(typeof Item?.epoch === "string" ? { epoch: Item.epoch } : {}),
      ...(typeof Item?.lastActivityAt === "number" ? { lastActivityAt: Item.lastActivityAt } : {}),
      ...(typeof Item?.resumedAt === "number" ? { resumedAt: Item.resumedAt } : {}),
    };
  }

  private async raise(attribute: "watermark" | "target", value: number): Promise<void> {
    await this.conditional(
      new UpdateCommand({
        TableName: this.tables.state,
        Key: { pk: STATE_KINDS.watermark, sk: GLOBAL_KEY },
        UpdateExpression: "SET #a = :v",
        ConditionExpression: "attribute_not_exists(#a) OR #a < :v",
        ExpressionAttributeNames: { "#a": attribute },
        ExpressionAttributeValues: { ":v": value },
      }),
    );
  }

  async recordActivity(activity: Activity): Promise<void> {
    const key = { pk: STATE_KINDS.watermark, sk: GLOBAL_KEY };
    const passed = await this.conditional(
      new UpdateCommand({
        TableName: this.tables.state,
        Key: key,
        UpdateExpression: `SET epoch = if_not_exists(epoch, :e), lastActivityAt = :now${activity.resumed ? ", resumedAt = :now" : ""}`,
        ConditionExpression: "attribute_not_exists(lastActivityAt) OR lastActivityAt < :now",
        ExpressionAttributeValues: { ":e": activity.epoch, ":now": activity.now },
      }),
    );
    if (passed === true) return;
    // Another activity recorded a later time: only make sure the item has an epoch.
    await this.conditional(
      new UpdateCommand({
        TableName: this.tables.state,
        Key: key,
        UpdateExpression: "SET epoch = :e",
        ConditionExpression: "attribute_not_exists(epoch)",
        ExpressionAttributeValues: { ":e": activity.epoch },
      }),
    );
  }

  raiseTarget(value: number): Promise<void> {
    return this.raise("target", value);
  }

  raiseWatermark(value: number): Promise<void> {
    return this.raise("watermark", value);
  }

  // --- shards -------------------------------------------------------------------------------

  async listShards(): Promise<ShardState[]> {
    const items = await this.queryAll({
      TableName: this.tables.state,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": STATE_KINDS.shard },
      ConsistentRead: true,
    });
    return items.map((i) => ({
      shardId: String(i.sk),
      lastBatchAt: Number(i.lastBatchAt ?? 0),
      ...(typeof i.maxEventTime === "number" ? { maxEventTime: i.maxEventTime } : {}),
      ...(typeof i.pendingMax === "number" ? { pendingMax: i.pendingMax } : {}),
      ...(typeof i.firstSeenAt === "number" ? { firstSeenAt: i.firstSeenAt } : {}),
    }));
  }

  async noteShard(shardId: string, now: number): Promise<void> {
    await this.conditional(
      new UpdateCommand({
        TableName: this.tables.state,
        Key: { pk: STATE_KINDS.shard, sk: shardId },
        UpdateExpression: "SET firstSeenAt = :now",
        ConditionExpression: "attribute_not_exists(firstSeenAt)",
        ExpressionAttributeValues: { ":now": now },
      }),
    );
  }

  async recordShard(shardId: string, update: { lastBatchAt?: number; maxEventTime?: number; pendingMax?: number }): Promise<void> {
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
    const passed = await this.conditional(
      new UpdateCommand({
        TableName: this.tables.state,
        Key: key,
        UpdateExpression: `SET ${sets.join(", ")}`,
        ...(conditions.length ? { ConditionExpression: conditions.join(" AND "), ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
      }),
    );
    if (passed === true) return;
    // A stored value is already higher: raise each attribute on its own, keep the higher ones.
    if (update.lastBatchAt !== undefined) {
      await this.conditional(
        new UpdateCommand({ TableName: this.tables.state, Key: key, UpdateExpression: "SET lastBatchAt = :now", ExpressionAttributeValues: { ":now": update.lastBatchAt } }),
      );
    }
    for (const a of raised) {
      await this.conditional(
        new UpdateCommand({
          TableName: this.tables.state,
          Key: key,
          UpdateExpression: "SET #a = :v",
          ConditionExpression: "attribute_not_exists(#a) OR #a < :v",
          ExpressionAttributeNames: { "#a": a },
          ExpressionAttributeValues: { ":v": update[a] },
        }),
      );
    }
  }

  async touchShard(shardId: string, now: number, activeSince: number): Promise<void> {
    await this.conditional(
      new UpdateCommand({
        TableName: this.tables.state,
        Key: { pk: STATE_KINDS.shard, sk: shardId },
        UpdateExpression: "SET lastBatchAt = :now",
        ConditionExpression: "lastBatchAt >= :since",
        ExpressionAttributeValues: { ":now": now, ":since": activeSince },
      }),
    );
  }

  // --- the index of windows still to close --------------------------------------------------

  async putOpenWindow(window: OpenWindow): Promise<void> {
    this.writes++;
    await this.doc.send(
      new PutCommand({
        TableName: this.tables.state,
        Item: {
          pk: STATE_KINDS.open,
          sk: windowKey(window.windowEnd, window.instrument),
          instrument: window.instrument,
          windowStart: window.windowStart,
          windowEnd: window.windowEnd,
          expiresAt: this.expiresAt(),
        },
      }),
    );
  }

  async listOpenWindows(range: OpenWindowRange): Promise<OpenWindow[]> {
    const keys = windowKeyRange(range.after, range.atMost, range.startAfter);
    if (keys === null) return [];
    // BETWEEN is inclusive; the upper bound is a bare padded time, never a key itself.
    const items = await this.queryAll(
      {
        TableName: this.tables.state,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :lo AND :hi",
        ExpressionAttributeValues: { ":pk": STATE_KINDS.open, ":lo": keys.lower, ":hi": keys.upper },
        ConsistentRead: true,
      },
      range.limit,
    );
    return items.map((i) => ({ instrument: String(i.instrument), windowStart: Number(i.windowStart), windowEnd: Number(i.windowEnd) }));
  }

  async deleteOpenWindow(window: OpenWindow): Promise<void> {
    this.writes++;
    await this.doc.send(
      new DeleteCommand({ TableName: this.tables.state, Key: { pk: STATE_KINDS.open, sk: windowKey(window.windowEnd, window.instrument) } }),
    );
  }

  // --- panes --------------------------------------------------------------------------------

  async mergePane(instrument: string, paneStart: number, maxCents: number, placedAt: number): Promise<MergeOutcome> {
    const key = { pk: instrument, sk: paneStart };
    const passed = await this.conditional(
      new UpdateCommand({
        TableName: this.tables.panes,
        Key: key,
        UpdateExpression: "SET maxCents = :m, expiresAt = :e",
        ConditionExpression: "(attribute_not_exists(fence) OR fence <= :p) AND (attribute_not_exists(maxCents) OR maxCents < :m)",
        ExpressionAttributeValues: { ":m": maxCents, ":p": placedAt, ":e": this.expiresAt() },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    if (passed === true) return "raised";
    let fence = failedItemNumber(passed, "fence");
    if (fence === null) {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.tables.panes, Key: key, ConsistentRead: true }));
      fence = typeof Item?.fence === "number" ? Item.fence : undefined;
    }
    return fence !== undefined && fence > placedAt ? "fenced" : "kept";
  }

  async fencePane(instrument: string, paneStart: number, value: number): Promise<void> {
    await this.conditional(
      new UpdateCommand({
        TableName: this.tables.panes,
        Key: { pk: instrument, sk: paneStart },
        UpdateExpression: "SET fence = :f, expiresAt = if_not_exists(expiresAt, :e)",
        ConditionExpression: "attribute_not_exists(fence) OR fence < :f",
        ExpressionAttributeValues: { ":f": value, ":e": this.expiresAt() },
      }),
    );
  }

  async readPanes(instrument: string, fromPane: number, toPane: number): Promise<PaneMax[]> {
    if (toPane < fromPane) return [];
    const items = await this.queryAll({
      TableName: this.tables.panes,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :a AND :b",
      ExpressionAttributeValues: { ":pk": instrument, ":a": fromPane, ":b": toPane },
      ProjectionExpression: "sk, maxCents",
      ConsistentRead: true,
    });
    return items.filter((i) => typeof i.maxCents === "number").map((i) => ({ paneStart: Number(i.sk), maxCents: i.maxCents as number }));
  }

  // --- final results --------------------------------------------------------------------------

  async putFinal(result: WindowResult): Promise<WindowResult> {
    const passed = await this.conditional(
      new PutCommand({
        TableName: this.tables.windows,
        Item: {
          pk: result.instrument,
          sk: result.windowStart,
          windowEnd: result.windowEnd,
          maxCents: result.maxCents,
          expiresAt: this.expiresAt(),
        },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    if (passed === true) return result;
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tables.windows, Key: { pk: result.instrument, sk: result.windowStart }, ConsistentRead: true }),
    );
    if (!Item) {
      throw new StoreConflictError(`window ${result.instrument}@${result.windowStart}: its put was refused as already stored, yet no stored result can be read`);
    }
    return { instrument: result.instrument, windowStart: result.windowStart, windowEnd: Number(Item.windowEnd), maxCents: Number(Item.maxCents) };
  }

  async readFinals(instrument: string, fromStart: number, toStart: number): Promise<WindowResult[]> {
    if (toStart < fromStart) return [];
    const items = await this.queryAll({
      TableName: this.tables.windows,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :a AND :b",
      ExpressionAttributeValues: { ":pk": instrument, ":a": fromStart, ":b": toStart },
      ConsistentRead: true,
    });
    return items.map((i) => ({ instrument, windowStart: Number(i.sk), windowEnd: Number(i.windowEnd), maxCents: Number(i.maxCents) }));
  }

  // --- emit claims ------------------------------------------------------------------------------

  private claimKey(window: OpenWindow): { pk: string; sk: string } {
    return { pk: STATE_KINDS.emit, sk: windowKey(window.windowEnd, window.instrument) };
  }

  async claimEmission(window: OpenWindow, owner: string, now: number, leaseMs: number): Promise<ClaimOutcome> {
    const key = this.claimKey(window);
    const passed = await this.conditional(
      new UpdateCommand({
        TableName: this.tables.state,
        Key: key,
        UpdateExpression: "SET #o = :o, leaseUntil = :l, expiresAt = :e",
        ConditionExpression: "attribute_not_exists(emittedAt) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR #o = :o)",
        ExpressionAttributeNames: { "#o": "owner" },
        ExpressionAttributeValues: { ":o": owner, ":l": now + leaseMs, ":now": now, ":e": this.expiresAt() },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    if (passed === true) return "claimed";
    let emittedAt = failedItemNumber(passed, "emittedAt");
    if (emittedAt === null) {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.tables.state, Key: key, ConsistentRead: true }));
      emittedAt = typeof Item?.emittedAt === "number" ? Item.emittedAt : undefined;
    }
    return emittedAt !== undefined ? "emitted" : "busy";
  }

  async markEmitted(window: OpenWindow, owner: string, now: number): Promise<boolean> {
    const passed = await this.conditional(
      new UpdateCommand({
        TableName: this.tables.state,
        Key: this.claimKey(window),
        UpdateExpression: "SET emittedAt = :now",
        ConditionExpression: "#o = :o",
        ExpressionAttributeNames: { "#o": "owner" },
        ExpressionAttributeValues: { ":o": owner, ":now": now },
      }),
    );
    return passed === true;
  }

  async releaseClaim(window: OpenWindow, owner: string): Promise<void> {
    await this.conditional(
      new UpdateCommand({
        TableName: this.tables.state,
        Key: this.claimKey(window),
        UpdateExpression: "SET leaseUntil = :zero",
        ConditionExpression: "#o = :o AND attribute_not_exists(emittedAt)",
        ExpressionAttributeNames: { "#o": "owner" },
        ExpressionAttributeValues: { ":o": owner, ":zero": 0 },
      }),
    );
  }
}
