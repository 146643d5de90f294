/**
 * Packing ticks into fewer, larger Kinesis records, as real producers do: the Kinesis Producer
 * Library's aggregated records ("kpl") or newline-separated lines ("lines"). Shared by the local
 * tick generator and `npm run produce`.
 *
 * Records are packed per group (the producer's groups are partition keys, so a key's ticks stay
 * on its shard and in order) up to a size limit on the record's data. A packed record is put with
 * its first tick's partition key; in a KPL record every tick keeps its own key in the table.
 * A tick bigger than the limit on its own still goes out, alone.
 *
 * The KPL size of a record is known before each tick joins it (core's AggregateBuilder), so a
 * record is encoded once, when it is full or due.
 */
import { AggregateBuilder } from "@tickstream/core/ticks/kpl";

/** How ticks are put: many per record (KPL aggregate or lines) or one per record. */
export type AggregateMode = "kpl" | "lines" | "none";

/** The KPL's default `AggregationMaxSize`. */
export const KPL_DEFAULT_MAX_BYTES = 51_200;

/** Largest record Kinesis takes: data blob plus partition key. */
export const KINESIS_MAX_RECORD_BYTES = 1024 * 1024;

export interface PackItem {
  data: Uint8Array;
  partitionKey: string;
}

/** One record to put: its data, its partition key and the items it carries, in order. */
export interface PackedRecord<T extends PackItem = PackItem> {
  data: Uint8Array;
  partitionKey: string;
  items: T[];
}

export interface PackerOptions<T extends PackItem> {
  mode: AggregateMode;
  /** Most bytes of data per packed record. Default KPL_DEFAULT_MAX_BYTES. */
  maxBytes?: number;
  /** Items of one group may share a record. Default: the partition key. */
  groupOf?: (item: T) => string;
}

const utf8 = new TextEncoder();

interface Group<T extends PackItem> {
  items: T[];
  /** Data bytes of a lines record so far. */
  lineBytes: number;
  /** The KPL record so far. */
  kpl: AggregateBuilder | null;
  /** Room for data: the limit, less the partition key where 1 MiB binds. */
  limit: number;
  /** When the first item came (caller's clock). */
  since: number;
}

export class Packer<T extends PackItem> {
  readonly mode: AggregateMode;
  readonly maxBytes: number;
  private readonly groupOf: (item: T) => string;
  private readonly groups = new Map<string, Group<T>>();
  private held = 0;

  constructor(options: PackerOptions<T>) {
    this.mode = options.mode;
    this.maxBytes = options.maxBytes ?? KPL_DEFAULT_MAX_BYTES;
    if (
      !Number.isSafeInteger(this.maxBytes) ||
      this.maxBytes < 1 ||
      this.maxBytes > KINESIS_MAX_RECORD_BYTES
    ) {
      throw new RangeError(
        `the record size limit must be 1 to ${KINESIS_MAX_RECORD_BYTES} bytes, not ${this.maxBytes}`,
      );
    }
    this.groupOf = options.groupOf ?? ((item) => item.partitionKey);
  }

  /** Items held, not yet in a record. */
  get size(): number {
    return this.held;
  }

  /**
   * Adds an item; returns the records it completed: none, or the group's record that it did not
   * fit into (in mode "none", the item's own record).
   */
  add(item: T, now = 0): PackedRecord<T>[] {
    if (this.mode === "none") {
      return [{ data: item.data, partitionKey: item.partitionKey, items: [item] }];
    }
    const name = this.groupOf(item);
    const out: PackedRecord<T>[] = [];
    let group = this.groups.get(name);
    if (group && this.sizeWith(group, item) > group.limit) {
      out.push(this.close(name, group));
      group = undefined;
    }
    if (!group) {
      group = {
        items: [],
        lineBytes: 0,
        kpl: this.mode === "kpl" ? new AggregateBuilder() : null,
        limit: Math.min(
          this.maxBytes,
          KINESIS_MAX_RECORD_BYTES - utf8.encode(item.partitionKey).byteLength,
        ),
        since: now,
      };
      this.groups.set(name, group);
    }
    if (group.kpl) group.kpl.add(item);
    else group.lineBytes = this.sizeWith(group, item);
    group.items.push(item);
    this.held++;
    return out;
  }

  /** Bytes (data and partition key) of a record that holds only this item. */
  aloneBytes(item: T): number {
    const key = utf8.encode(item.partitionKey).byteLength;
    if (this.mode === "kpl") return new AggregateBuilder().sizeWith(item) + key;
    return item.data.byteLength + key;
  }

  /** Records of the groups whose first item came at or before `cutoff`. */
  due(cutoff: number): PackedRecord<T>[] {
    const out: PackedRecord<T>[] = [];
    for (const [name, group] of this.groups) {
      if (group.since <= cutoff) out.push(this.close(name, group));
    }
    return out;
  }

  /** When the oldest group started (caller's clock), or undefined when nothing is held. */
  oldest(): number | undefined {
    let min: number | undefined;
    for (const g of this.groups.values()) if (min === undefined || g.since < min) min = g.since;
    return min;
  }

  /** Every held item, in records. */
  flush(): PackedRecord<T>[] {
    return this.due(Infinity);
  }

  /** Gives up every held item without packing it. */
  drain(): T[] {
    const out: T[] = [];
    for (const g of this.groups.values()) out.push(...g.items);
    this.groups.clear();
    this.held = 0;
    return out;
  }

  /** Data bytes of the group's record with the item in it. */
  private sizeWith(group: Group<T>, item: T): number {
    if (group.kpl) return group.kpl.sizeWith(item);
    return group.items.length === 0
      ? item.data.byteLength
      : group.lineBytes + 1 + item.data.byteLength;
  }

  private close(name: string, group: Group<T>): PackedRecord<T> {
    this.groups.delete(name);
    this.held -= group.items.length;
    const data = group.kpl ? group.kpl.build() : joinLines(group.items, group.lineBytes);
    return { data, partitionKey: group.items[0]!.partitionKey, items: group.items };
  }
}

function joinLines(items: readonly PackItem[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out[at++] = 0x0a;
    out.set(items[i]!.data, at);
    at += items[i]!.data.byteLength;
  }
  return out;
}

/** Packs a list at once: every record of `items`, in order of their groups' completion. */
export function packAll<T extends PackItem>(
  items: readonly T[],
  options: PackerOptions<T>,
): PackedRecord<T>[] {
  const packer = new Packer(options);
  const out: PackedRecord<T>[] = [];
  for (const item of items) out.push(...packer.add(item));
  out.push(...packer.flush());
  return out;
}
