// Runs kinesalite or dynalite on a thread of its own (see thread.ts): the runtime's main thread
// then keeps the consumers, the poller and the archive, and the servers use the other cores.
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

const require = createRequire(import.meta.url);
const { module, options, port } = workerData;
const server = require(module)(options);

server.once("error", (err) => parentPort.postMessage({ error: { code: err.code, message: err.message } }));
server.listen(port, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
parentPort.on("message", (message) => {
  if (message === "close") server.close(() => parentPort.postMessage("closed"));
});
