// Worker thread for argon2id: crypto_pwhash_str runs ~100-200 ms on the calling thread, so it must never run on the
// main event loop. Messages: { id, op: "hash" | "verify" | "needsRehash", ... } → { id, result } | { id, error }.
import { parentPort } from "node:worker_threads";
import sodium from "libsodium-wrappers-sumo";

interface Job {
  id: number;
  op: "hash" | "verify" | "needsRehash";
  password?: string;
  hash?: string;
  opsLimit: number;
  memLimit: number;
}

await sodium.ready;
const port = parentPort;
if (!port) throw new Error("pwhash.worker.ts must run in a worker thread");
port.on("message", (job: Job) => {
  try {
    let result: string | boolean;
    if (job.op === "hash") result = sodium.crypto_pwhash_str(job.password ?? "", job.opsLimit, job.memLimit);
    else if (job.op === "verify") {
      // A malformed stored hash counts as "does not match", not as a crash.
      try {
        result = sodium.crypto_pwhash_str_verify(job.hash ?? "", job.password ?? "");
      } catch {
        result = false;
      }
    } else result = sodium.crypto_pwhash_str_needs_rehash(job.hash ?? "", job.opsLimit, job.memLimit);
    port.postMessage({ id: job.id, result });
  } catch (error) {
    port.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) });
  }
});
port.postMessage({ ready: true });
