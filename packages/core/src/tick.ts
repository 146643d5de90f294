/** A decoded price tick. Prices are integer cents so that merges and comparisons stay exact. */
export interface Tick {
  /** Instrument id as a string: pipe `instrument=3` and JSON `"TICKER": "3"` are the same. */
  instrument: string;
  /** Event time, epoch milliseconds (pipe `sequence`, JSON `EVENT_TIME`). */
  eventTime: number;
  /** Upstream reception time, epoch ms (pipe `reception`); null when the format has none. */
  receivedAt: number | null;
  /** Book level (pipe `l` or `level`); null when absent. */
  level: number | null;
  /** Integer cents: `price_0` … `price_N` in order; `prices[0]` is the price that counts. */
  pricesCents: number[];
}

/** Where a Kinesis record came from in the stream. */
export interface RecordPosition {
  shardId: string;
  sequenceNumber: string;
  /** Kinesis ApproximateArrivalTimestamp, epoch ms. */
  arrivalTime: number;
}

/**
 * Where a tick came from in the stream: enough to order, dedupe and dead-letter it. A record
 * may carry many ticks (newline-separated lines, KPL sub-records, or lines inside sub-records);
 * they share the record's sequence number and are told apart by `subIndex`.
 */
export interface StreamPosition extends RecordPosition {
  /**
   * The tick's place inside its record, counting from 0 in record order over every part that
   * is a tick or a bad line or sub-record (KPL sub-record by sub-record, line by line inside
   * each; blank lines are skipped). A record holding one tick: 0.
   */
  subIndex: number;
}
