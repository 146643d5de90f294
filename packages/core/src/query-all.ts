import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";

/**
 * Every item a Query matches, page after page: DynamoDB answers at most 1 MB a page, so one
 * call is not the whole key. With `limit`, only the first `limit` items (each page asks for no
 * more than are still wanted).
 */
export async function queryAll(doc: DynamoDBDocumentClient, input: QueryCommandInput, limit?: number): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const remaining = limit === undefined ? undefined : limit - items.length;
    const out = await doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start, ...(remaining === undefined ? {} : { Limit: remaining }) }));
    items.push(...((out.Items ?? []) as Record<string, unknown>[]));
    start = out.LastEvaluatedKey;
  } while (start && (limit === undefined || items.length < limit));
  return items;
}
