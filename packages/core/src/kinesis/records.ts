import type { RecordPosition } from "../tick.js";
import type { KinesisRecordLike } from "./batch.js";

/**
 * Builds a Kinesis event record as Lambda delivers it (base64 data, `<shardId>:<seq>` event id,
 * arrival time in fractional epoch seconds), for tests, benchmarks and local tools.
 */
export function toKinesisRecord(data: string | Uint8Array, position: RecordPosition, partitionKey = "pk"): KinesisRecordLike {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return {
    eventID: `${position.shardId}:${position.sequenceNumber}`,
    eventSourceARN: "arn:aws:kinesis:us-east-1:000000000000:stream/prices",
    kinesis: {
      data: bytes.toString("base64"),
      sequenceNumber: position.sequenceNumber,
      approximateArrivalTimestamp: position.arrivalTime / 1000,
      partitionKey,
    },
  };
}
