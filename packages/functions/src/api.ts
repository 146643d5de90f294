import { Logger } from "@aws-lambda-powertools/logger";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { Table } from "sst/node/table";
import { documentClient } from "@tickstream/core/aws";
import { createApiRouter, matchRoute } from "@tickstream/core/api/router";
import { routeNamed } from "@tickstream/core/api/routes";
import { readLatestViewRefreshMs, readWindowConfig } from "@tickstream/core/config";
import { createTailLatestReader } from "@tickstream/core/latest/tail-reader";
import { dynamoWindowQueries } from "@tickstream/core/windows/query";

/**
 * HTTP API (API Gateway v2 payload): every route goes through the core router
 * (packages/core/src/api/router.ts). CORS headers are added by API Gateway in AWS and by the
 * local API host, not here.
 */

const logger = new Logger({ serviceName: "api" });

/** This function's SDK client; exported so that tests can add middleware. */
export const clients = { doc: documentClient() };

const router = createApiRouter({
  // Kept for the life of the container: a warm request reads only the log written since the last.
  latest: createTailLatestReader({
    doc: clients.doc,
    tableName: Table.Latest.tableName,
    snapshotEveryMs: readLatestViewRefreshMs(),
  }),
  windows: dynamoWindowQueries({
    doc: clients.doc,
    tables: { panes: Table.Panes.tableName, windows: Table.Windows.tableName, state: Table.State.tableName },
    config: readWindowConfig(),
  }),
  onError: (error, request) => logger.error("request failed", { routeKey: request.routeKey, error: error as Error }),
});

export async function handler(event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  if (context) logger.addContext(context);
  // A catch-all route ("$default") carries no route key of ours: match the raw path instead.
  const matched = routeNamed(event.routeKey) ? null : matchRoute(event.requestContext?.http?.method ?? "GET", event.rawPath ?? "");
  const result = await router({
    routeKey: matched?.routeKey ?? event.routeKey,
    pathParameters: matched?.pathParameters ?? event.pathParameters,
    queryStringParameters: event.queryStringParameters,
  });
  return {
    statusCode: result.statusCode,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(result.body),
  };
}
