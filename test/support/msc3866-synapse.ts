// A second real Synapse with MSC3866 registration approval on: accounts registered through the client API wait for an
// admin to approve them. Its own named instance ("msc3866" on port 18058), so the shared "main" one never changes;
// tests that use it run under `flock /tmp/vestibule-faults.lock` like every named instance.
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSynapse, type SynapseHandle } from "./homeserver.ts";

export const MSC3866_SYNAPSE_NAME = "msc3866";
export const MSC3866_SYNAPSE_PORT = 18058;

/** Applied after synapse.sh's test settings (which already require registration tokens). */
const EXTRA_CONFIG = [
  "experimental_features:",
  "  msc3866:",
  "    enabled: true",
  "    require_approval_for_new_accounts: true",
  "",
].join("\n");

/** Starts (or reuses, when it already runs with these settings) the MSC3866 Synapse. */
export async function startMsc3866Synapse(): Promise<SynapseHandle> {
  const dir = join(tmpdir(), "vestibule-msc3866");
  await mkdir(dir, { recursive: true });
  // Same bytes every time: synapse.sh compares the file's hash to decide whether the running instance can be reused.
  const extraConfigFile = join(dir, "msc3866.yaml");
  await writeFile(extraConfigFile, EXTRA_CONFIG);
  return startSynapse({ name: MSC3866_SYNAPSE_NAME, port: MSC3866_SYNAPSE_PORT, extraConfigFile });
}
