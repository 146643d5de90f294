import { Api, Function, use, type ApiRouteProps, type StackContext } from "sst/constructs";
import { API } from "@tickstream/core/resources";
import { readTable } from "./access";
import { AuthStack } from "./AuthStack";
import { describedFunction } from "./functions";
import { StorageStack } from "./StorageStack";
import { stageConfig, windowEnvironment, type StageConfig } from "./stage-config";

/** The JWT authorizer every route but the public ones uses. */
export const AUTHORIZER = "cognito";

/** CORS of the API; the allowed origins are decided below and in WebStack. */
export const CORS = {
  allowMethods: ["GET"] as const,
  allowHeaders: ["authorization", "content-type"],
  maxAgeSeconds: 86_400,
};

/**
 * Origins the API allows before the dashboard exists: its custom domain when the stage has
 * one, plus local development servers on non-production stages. Without a custom domain the
 * dashboard's CloudFront origin is only known after WebStack deploys (and WebStack needs the
 * API URL first), so WebStack adds it afterwards (see stacks/WebStack.ts). Never "*".
 */
export function staticCorsOrigins(cfg: StageConfig): string[] {
  const site = cfg.web.domain ? [`https://${cfg.web.domain.name}`] : [];
  return [...site, ...cfg.api.extraCorsOrigins];
}

/**
 * One JSON object per request in the access log. Every value is quoted (numbers included), so
 * the format string is itself valid JSON: CloudWatch Logs Insights and other JSON readers
 * parse each line without a custom pattern.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestTime: "$context.requestTime",
  requestId: "$context.requestId",
  httpMethod: "$context.httpMethod",
  path: "$context.path",
  routeKey: "$context.routeKey",
  status: "$context.status",
  responseLatency: "$context.responseLatency",
  responseLength: "$context.responseLength",
  integrationRequestId: "$context.integration.requestId",
  integrationStatus: "$context.integration.status",
  integrationLatency: "$context.integration.latency",
  integrationServiceStatus: "$context.integration.integrationStatus",
  integrationError: "$context.integrationErrorMessage",
  authorizerError: "$context.authorizer.error",
  ip: "$context.identity.sourceIp",
  userAgent: "$context.identity.userAgent",
});

/** HTTP API: JWT-protected routes, all served by one read-only function. */
export function ApiStack({ stack, app }: StackContext) {
  const cfg = stageConfig(app.stage);
  const { tables } = use(StorageStack);
  const { auth } = use(AuthStack);

  const handler = new Function(stack, "ApiHandler", {
    ...describedFunction(API),
    description: "Tickstream HTTP API",
    environment: { ...windowEnvironment(cfg), POWERTOOLS_SERVICE_NAME: "api" },
    // Read-only: GetItem, BatchGetItem, Query on the four tables.
    bind: [
      readTable(tables.latest),
      readTable(tables.panes),
      readTable(tables.windows),
      readTable(tables.state),
    ],
  });

  const publicRoutes: readonly string[] = API.publicRoutes;
  const routes: Record<string, ApiRouteProps<typeof AUTHORIZER>> = Object.fromEntries(
    API.routes.map((route) => [
      route,
      {
        function: handler,
        ...(publicRoutes.includes(route) ? { authorizer: "none" as const } : {}),
      },
    ]),
  );

  const api = new Api(stack, API.id, {
    authorizers: {
      [AUTHORIZER]: {
        type: "user_pool",
        userPool: { id: auth.userPoolId, clientIds: [auth.userPoolClientId], region: app.region },
      },
    },
    defaults: { authorizer: AUTHORIZER, throttle: cfg.api.throttle },
    cors: {
      allowOrigins: staticCorsOrigins(cfg),
      allowMethods: [...CORS.allowMethods],
      allowHeaders: CORS.allowHeaders,
      maxAge: `${CORS.maxAgeSeconds} seconds`,
    },
    accessLog: { retention: cfg.logRetention, format: ACCESS_LOG_FORMAT },
    routes,
  });

  stack.addOutputs({ ApiUrl: api.customDomainUrl ?? api.url });

  return { api, handler };
}
