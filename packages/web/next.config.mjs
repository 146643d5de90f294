// Built by `next build` locally and by open-next 3.5.5 inside SST's NextjsSite.
// NEXT_PUBLIC_* settings are read at build time (NextjsSite sets them), except in the local
// runtime's build, whose browser code reads them at run time (below).
process.env.NEXT_TELEMETRY_DISABLED = "1";

import { PHASE_DEVELOPMENT_SERVER } from "next/constants.js";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// aws-amplify 6.15.3 (pinned: its token refresh works against cognito-local) needs
// @aws-amplify/core 6.12.x, but the workspace also hoists a newer core for the open peer ranges of
// aws-amplify's own category packages (auth among them). Two cores would mean two Amplify singletons (the auth category would never see
// Amplify.configure) and a missing export at build time. Every import of @aws-amplify/core,
// whoever makes it, resolves to this package's own pinned copy.
const amplifyCore = dirname(require.resolve("@aws-amplify/core/package.json", { paths: [here] }));

// The local runtime's production build (`npm start`) sets this: it builds and serves from a
// directory of its own, so that neither `next dev` nor `next build` / open-next pull files from
// under it.
const localDistDir = process.env.TICKSTREAM_LOCAL_WEB_DIST_DIR;

/**
 * The global the local runtime's page defines (an inline script it adds to the built HTML), so
 * that one build serves every runtime, whatever its ports and user pool. Same name as
 * SETTINGS_GLOBAL in packages/local/src/web-build.ts.
 */
const RUNTIME_SETTINGS_GLOBAL = "__TICKSTREAM_ENV__";

/**
 * Browser code of the local build reads NEXT_PUBLIC_* from RUNTIME_SETTINGS_GLOBAL instead of
 * the values inlined at build time. The server side keeps the inlined (placeholder) values: it
 * only prerenders the splash that comes before any setting is used. Next.js's own DefinePlugin
 * is the one marked __NEXT_DEFINE_ENV.
 */
function readPublicSettingsAtRuntime(config) {
  const define = config.plugins.find((p) => p?.definitions?.__NEXT_DEFINE_ENV !== undefined);
  if (!define) throw new Error("next.config: Next.js's DefinePlugin was not found");
  for (const key of Object.keys(define.definitions)) {
    const name = /^process\.env\.(NEXT_PUBLIC_\w+)$/.exec(key)?.[1];
    if (name) define.definitions[key] = `(globalThis.${RUNTIME_SETTINGS_GLOBAL} || {}).${name}`;
  }
}

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Linting runs from the repository root (`npm run lint`), not inside the build.
  eslint: { ignoreDuringBuilds: true },
  // No remote images and no image optimisation function needed.
  images: { unoptimized: true },
  webpack(config, { isServer }) {
    config.resolve.alias = { ...config.resolve.alias, "@aws-amplify/core": amplifyCore };
    if (localDistDir && !isServer) readPublicSettingsAtRuntime(config);
    return config;
  },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "no-referrer" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
        ],
      },
    ];
  },
};

// `next dev` (`npm start -- --web-dev`) writes to its own directory: `next build` (and
// open-next, which reads `.next`) empties `.next` except `.next/cache`, so a build, e.g. an
// `sst deploy` from the same checkout, no longer pulls the files from under a running dev server.
// The local production build lives under `.next/cache` for the same reason; it skips the type
// check (`npm run typecheck` does it) so that a start does not wait for it.
export default function config(phase) {
  if (phase === PHASE_DEVELOPMENT_SERVER) return { ...nextConfig, distDir: ".next/cache/dev" };
  if (localDistDir)
    return {
      ...nextConfig,
      distDir: localDistDir,
      typescript: { ignoreBuildErrors: true },
      // Nothing is packaged from this build: no need to trace the files each route needs.
      outputFileTracing: false,
    };
  return nextConfig;
}
