import { startLocalHost } from "./scratch-local.tmp.js";
import { runVariant } from "./pipeline.js";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const h = await startLocalHost("design");
const t0 = Date.now();
try {
  const r = await runVariant("design", h, true, (m) => console.log(((Date.now() - t0) / 1000).toFixed(1), m));
  console.log(JSON.stringify(r.latency));
} finally {
  await h.stop();
}
process.exit(0);
