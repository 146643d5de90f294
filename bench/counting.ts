import { DynamoDBClient, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * Counts what a DynamoDB client really sends, with a middleware on the client's own stack:
 * commands by name, items written, and write capacity units two ways:
 *  - reported: the server's own `ConsumedCapacity` (the middleware adds
 *    `ReturnConsumedCapacity: "TOTAL"` to every read and write; dynalite answers it like DynamoDB, from
 *    the larger of the old and new item, 1 KB per unit);
 *  - computed: the 1 KB rule applied to the request payloads (PutItem and BatchWriteItem items
 *    exactly; for UpdateItem, key plus the values it sets, a lower bound of the new item).
 * Conditional writes that fail still cost a write unit in DynamoDB; they are counted apart.
 */

const WRITE_COMMANDS = new Set(["PutItemCommand", "UpdateItemCommand", "DeleteItemCommand", "BatchWriteItemCommand", "TransactWriteItemsCommand"]);
const READ_COMMANDS = new Set(["GetItemCommand", "BatchGetItemCommand", "QueryCommand", "ScanCommand", "TransactGetItemsCommand"]);

export interface RequestCounts {
  /** Every command sent (retries by the SDK are one command). */
  requests: number;
  byCommand: Record<string, number>;
  writeRequests: number;
  readRequests: number;
  /** Items written: 1 per Put/Update/Delete, one per entry of a BatchWriteItem or transaction. */
  itemsWritten: number;
  /** Requests that failed, by error name (e.g. ConditionalCheckFailedException). */
  errors: Record<string, number>;
  /** Sum of ConsumedCapacity.CapacityUnits returned for writes. */
  wcuReported: number;
  /** Write requests whose response carried ConsumedCapacity. */
  wcuReportedRequests: number;
  /** 1 KB rule over the request payloads; failed conditional writes included (1 WCU each at least). */
  wcuComputed: number;
  rcuReported: number;
  /** Bytes of request bodies sent. */
  requestBytes: number;
}

export function emptyCounts(): RequestCounts {
  return {
    requests: 0,
    byCommand: {},
    writeRequests: 0,
    readRequests: 0,
    itemsWritten: 0,
    errors: {},
    wcuReported: 0,
    wcuReportedRequests: 0,
    wcuComputed: 0,
    rcuReported: 0,
    requestBytes: 0,
  };
}

/** Size of an attribute value by DynamoDB's published rules (strings UTF-8, numbers ~digits/2+1). */
export function attributeValueSize(v: AttributeValue | Record<string, unknown>): number {
  const a = v as Record<string, unknown>;
  if (a.S !== undefined) return Buffer.byteLength(String(a.S), "utf8");
  if (a.N !== undefined) return numberSize(String(a.N));
  if (a.B !== undefined) return typeof a.B === "string" ? Buffer.from(a.B, "base64").length : (a.B as Uint8Array).length;
  if (a.BOOL !== undefined || a.NULL !== undefined) return 1;
  if (a.SS !== undefined) return (a.SS as string[]).reduce((s, x) => s + Buffer.byteLength(x, "utf8"), 0);
  if (a.NS !== undefined) return (a.NS as string[]).reduce((s, x) => s + numberSize(x), 0);
  if (a.L !== undefined) return 3 + (a.L as AttributeValue[]).reduce((s, x) => s + 1 + attributeValueSize(x), 0);
  if (a.M !== undefined) {
    const m = a.M as Record<string, AttributeValue>;
    return 3 + Object.keys(m).length + itemSize(m);
  }
  return 0;
}

function numberSize(n: string): number {
  const digits = n.replace(/^-/, "").replace(/e.*$/i, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1 + (n.startsWith("-") ? 1 : 0);
}

export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name, "utf8") + attributeValueSize(value);
  return size;
}

/** Write capacity units for one item of `bytes`: 1 per started KB, at least 1. */
export function wcuForSize(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

type Body = Record<string, unknown>;

/** Items written and computed WCU of one request body (the DynamoDB JSON the SDK sends). */
export function writeCost(command: string, body: Body): { items: number; wcu: number } {
  switch (command) {
    case "PutItemCommand":
      return { items: 1, wcu: wcuForSize(itemSize(body.Item as Record<string, AttributeValue>)) };
    case "DeleteItemCommand":
      return { items: 1, wcu: wcuForSize(itemSize(body.Key as Record<string, AttributeValue>)) };
    case "UpdateItemCommand": {
      const key = body.Key as Record<string, AttributeValue>;
      const values = (body.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
      const names = (body.ExpressionAttributeNames ?? {}) as Record<string, string>;
      // Attribute names as stored: the aliases' targets, or the value placeholders' names.
      const nameBytes = Object.values(names).reduce((s, n) => s + Buffer.byteLength(n, "utf8"), 0);
      const valueBytes = Object.entries(values).reduce((s, [k, v]) => s + attributeValueSize(v) + (nameBytes ? 0 : k.length - 1), 0);
      return { items: 1, wcu: wcuForSize(itemSize(key) + nameBytes + valueBytes) };
    }
    case "BatchWriteItemCommand": {
      let items = 0;
      let wcu = 0;
      const req = body.RequestItems as Record<string, { PutRequest?: { Item: Record<string, AttributeValue> }; DeleteRequest?: { Key: Record<string, AttributeValue> } }[]>;
      for (const list of Object.values(req)) {
        for (const w of list) {
          items += 1;
          wcu += wcuForSize(itemSize(w.PutRequest ? w.PutRequest.Item : (w.DeleteRequest?.Key ?? {})));
        }
      }
      return { items, wcu };
    }
    case "TransactWriteItemsCommand": {
      // Transactions cost two units per started KB of each item.
      const list = body.TransactItems as Record<string, Body>[];
      let wcu = 0;
      for (const t of list) {
        const [kind, op] = Object.entries(t)[0] as [string, Body];
        const cmd = kind === "Put" ? "PutItemCommand" : kind === "Delete" ? "DeleteItemCommand" : kind === "Update" ? "UpdateItemCommand" : "ConditionCheck";
        wcu += cmd === "ConditionCheck" ? 2 : 2 * writeCost(cmd, op).wcu;
      }
      return { items: list.length, wcu };
    }
    default:
      return { items: 0, wcu: 0 };
  }
}

function capacityUnits(cc: unknown): number {
  if (!cc) return 0;
  const list = Array.isArray(cc) ? cc : [cc];
  return list.reduce((s: number, c) => s + Number((c as { CapacityUnits?: number }).CapacityUnits ?? 0), 0);
}

interface StackLike {
  add(mw: unknown, opts: Record<string, unknown>): void;
}

/** A counter that can be attached to any number of clients; `reset()` between scenarios. */
export class RequestCounter {
  counts: RequestCounts = emptyCounts();
  private readonly stacks = new WeakSet<object>();

  constructor(private readonly options: { askForConsumedCapacity?: boolean } = { askForConsumedCapacity: true }) {}

  reset(): void {
    this.counts = emptyCounts();
  }

  snapshot(): RequestCounts {
    return JSON.parse(JSON.stringify(this.counts)) as RequestCounts;
  }

  /** Adds the counting middleware to a client (a DocumentClient shares its client's stack). */
  attach<C extends { middlewareStack: unknown }>(client: C): C {
    const stack = client.middlewareStack as StackLike & object;
    if (this.stacks.has(stack)) return client;
    this.stacks.add(stack);
    const ask = this.options.askForConsumedCapacity !== false;
    stack.add(
      (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: { input: Body }) => {
        const command = context.commandName ?? "unknown";
        const measured = WRITE_COMMANDS.has(command) || READ_COMMANDS.has(command);
        if (ask && measured && args.input.ReturnConsumedCapacity === undefined) {
          args = { ...args, input: { ...args.input, ReturnConsumedCapacity: "TOTAL" } };
        }
        return next(args);
      },
      { step: "initialize", name: "benchAskConsumedCapacity", priority: "high" },
    );
    stack.add(
      (next: (a: unknown) => Promise<{ output: Body }>, context: { commandName?: string }) => async (args: { request?: { body?: unknown } }) => {
        const c = this.counts;
        const command = context.commandName ?? "unknown";
        const isWrite = WRITE_COMMANDS.has(command);
        c.requests += 1;
        c.byCommand[command] = (c.byCommand[command] ?? 0) + 1;
        if (isWrite) c.writeRequests += 1;
        if (READ_COMMANDS.has(command)) c.readRequests += 1;
        const body = args.request?.body;
        const raw = typeof body === "string" ? body : body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8") : undefined;
        if (raw !== undefined) {
          c.requestBytes += Buffer.byteLength(raw, "utf8");
          if (isWrite) {
            const cost = writeCost(command, JSON.parse(raw) as Body);
            c.itemsWritten += cost.items;
            c.wcuComputed += cost.wcu;
          }
        }
        try {
          const result = await next(args);
          const units = capacityUnits(result.output?.ConsumedCapacity);
          if (isWrite && result.output?.ConsumedCapacity) {
            c.wcuReported += units;
            c.wcuReportedRequests += 1;
          } else if (!isWrite) c.rcuReported += units;
          return result;
        } catch (err) {
          const name = (err as { name?: string }).name ?? "Error";
          c.errors[name] = (c.errors[name] ?? 0) + 1;
          throw err;
        }
      },
      { step: "build", name: "benchCountRequests", priority: "low" },
    );
    return client;
  }

  /**
   * Attaches to every DynamoDB client of this process when it first sends, including the ones
   * a handler builds for itself. Returns a function that undoes it.
   */
  attachToAllClients(): () => void {
    const attach = (client: { middlewareStack: unknown }) => this.attach(client);
    const patched: [object, PropertyDescriptor | undefined][] = [];
    for (const cls of [DynamoDBClient, DynamoDBDocumentClient] as unknown as { prototype: Record<string, unknown> }[]) {
      const proto = cls.prototype;
      const own = Object.getOwnPropertyDescriptor(proto, "send");
      const original = proto.send as (this: { middlewareStack: unknown }, ...a: unknown[]) => unknown;
      patched.push([proto, own]);
      proto.send = function (this: { middlewareStack: unknown }, ...a: unknown[]) {
        attach(this);
        return original.apply(this, a);
      };
    }
    return () => {
      for (const [proto, own] of patched) {
        if (own) Object.defineProperty(proto, "send", own);
        else delete (proto as Record<string, unknown>).send;
      }
    };
  }
}
