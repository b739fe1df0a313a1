// Runs once before all test files: makes sure the real parts are there and tells the test workers where.
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

export default async function setup(project: TestProject): Promise<void> {
  const [postgresUrl, synapse] = await Promise.all([ensurePostgres(), ensureMainSynapse()]);
  project.provide("postgresUrl", postgresUrl);
  project.provide("synapse", {
    url: synapse.url,
    serverName: synapse.serverName,
    sharedSecret: synapse.sharedSecret,
    adminToken: synapse.adminToken,
  });
}
