/**
 * The local API host matches a request to a route key the way API Gateway does, against the
 * route table the stacks deploy (packages/core/src/api/routes.ts).
 */
export {
  compileRoute,
  compileRoutes,
  matchRoute,
  type CompiledRoute,
  type RouteMatch,
} from "@tickstream/core/api/routes";
