import type { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";

/**
 * A DynamoDB write refused by its condition. By name rather than `instanceof`: a client from
 * another copy of the SDK throws an instance of its own class.
 */
export function isConditionalCheckFailed(err: unknown): err is ConditionalCheckFailedException {
  return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "ConditionalCheckFailedException";
}
