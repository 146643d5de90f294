import { defineConfig } from "vitest/config";

// Four suites, one command: `npm test` runs them all; `npm run test:<name>` runs one.
// Naming decides the suite: *.test.ts(x) unit, *.int.test.ts integration against the local
// AWS servers, stacks/**/*.test.ts infrastructure, *.e2e.test.ts browser.
const slow = ["**/*.int.test.ts", "**/*.e2e.test.ts"];
const ignored = ["**/node_modules/**", "**/.sst/**", "**/.next/**", "**/.open-next/**"];
// The SDK's notice about future Node versions is not a test result.
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

export default defineConfig({
  test: {
    // A fresh process per file (handlers read their bindings once, at import), and no more
    // than two at a time: the integration files each start real servers.
    pool: "forks",
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/**/src/**/*.test.ts", "packages/**/src/**/*.test.tsx", "bench/**/*.test.ts", "scripts/**/*.test.ts", "infra/**/*.test.ts"],
          exclude: [...ignored, ...slow],
          environment: "node",
          env,
        },
      },
      {
        test: {
          name: "infra",
          include: ["stacks/**/*.test.ts"],
          exclude: ignored,
          // An outside NODE_ENV would otherwise win, and NextjsSite would run a real build.
          env: { ...env, NODE_ENV: "test" },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["packages/**/*.int.test.ts", "bench/**/*.int.test.ts", "scripts/**/*.int.test.ts"],
          exclude: ignored,
          env,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["packages/**/*.e2e.test.ts"],
          exclude: ignored,
          env,
          testTimeout: 240_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
