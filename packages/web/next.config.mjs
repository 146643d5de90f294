// Built by `next build` locally and by open-next 3.5.5 inside SST's NextjsSite.
// NEXT_PUBLIC_* settings are read at build time (NextjsSite and the local runtime set them).
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

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Linting runs from the repository root (`npm run lint`), not inside the build.
  eslint: { ignoreDuringBuilds: true },
  // No remote images and no image optimisation function needed.
  images: { unoptimized: true },
  webpack(config) {
    config.resolve.alias = { ...config.resolve.alias, "@aws-amplify/core": amplifyCore };
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

// `next dev` (what the local runtime starts) writes to its own directory: `next build` (and
// open-next, which reads `.next`) empties `.next` except `.next/cache`, so a build, e.g. an
// `sst deploy` from the same checkout, no longer pulls the files from under a running dev server.
export default function config(phase) {
  return phase === PHASE_DEVELOPMENT_SERVER
    ? { ...nextConfig, distDir: ".next/cache/dev" }
    : nextConfig;
}
