// Runs once around all test files: makes sure the real parts are there and tells the test workers where, and
// afterwards stops what the run started (scripts/test-cleanup.sh: the Synapse instances, the chroot's /proc mount,
// the tests' own PostgreSQL clusters), unless another test run still uses them or VESTIBULE_TEST_KEEP=1.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { ensureMainSynapse } from "./homeserver.ts";
import { ensurePostgres } from "./postgres.ts";

export interface SynapseDetails {
  url: string;
  serverName: string;
  sharedSecret: string;
  adminToken: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** A PostgreSQL server URL where tests may create and drop databases. */
    postgresUrl: string;
    /** The shared Synapse instance (never stop or reconfigure it; start your own for that). */
    synapse: SynapseDetails;
  }
}

const cleanupScript = resolve(import.meta.dirname, "../../scripts/test-cleanup.sh");

function cleanup(action: "register" | "release") {
  // The lease is this vitest process; scripts/run.sh releases the same pid if the run is interrupted.
  execFileSync("bash", [cleanupScript, action, String(process.pid)], { stdio: "inherit", timeout: 120_000 });
}

export default async function setup(project: TestProject): Promise<() => void> {
  // Take the lease before starting anything, so that another run finishing meanwhile leaves the daemons running.
  cleanup("register");
  try {
    const [postgresUrl, synapse] = await Promise.all([ensurePostgres(), ensureMainSynapse()]);
    project.provide("postgresUrl", postgresUrl);
    project.provide("synapse", {
      url: synapse.url,
      serverName: synapse.serverName,
      sharedSecret: synapse.sharedSecret,
      adminToken: synapse.adminToken,
    });
  } catch (error) {
    // vitest skips the teardown when the setup throws: half-started parts must not stay behind either.
    cleanup("release");
    throw error;
  }
  return () => cleanup("release");
}
