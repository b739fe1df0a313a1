// A real Synapse for the tests: named instances in the Debian chroot (synapse/synapse.sh), or the homeserver named by
// TEST_HOMESERVER_URL + TEST_HOMESERVER_SECRET. The shared "main" instance is started once by the global setup;
// tests that stop Synapse or need special config start their own named instance on their own port.
import { execFile } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const script = resolve(import.meta.dirname, "synapse/synapse.sh");

export interface SynapseHandle {
  name: string;
  url: string;
  serverName: string;
  sharedSecret: string;
  adminToken: string;
  logPath: string | undefined;
  /** Stops the instance (its data stays). */
  stop(): Promise<void>;
  /** Starts it again on the same data and port. */
  start(): Promise<void>;
  restart(): Promise<void>;
}

export interface StartSynapseOptions {
  name: string;
  port: number;
  /** YAML applied after everything else (e.g. a password provider module). */
  extraConfigFile?: string;
  /** A folder copied into the chroot and put on PYTHONPATH. */
  modulesDir?: string;
}

interface Details {
  name: string;
  url: string;
  serverName: string;
  sharedSecret: string;
  adminToken: string;
  logPath?: string;
}

async function runScript(args: string[]): Promise<string> {
  try {
    const { stdout } = await run("bash", [script, ...args], {
      timeout: 180_000,
      maxBuffer: 10 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`synapse.sh ${args.join(" ")} failed: ${e.stderr || e.message}`, { cause: error });
  }
}

function external(): Details | undefined {
  const url = process.env["TEST_HOMESERVER_URL"];
  const secret = process.env["TEST_HOMESERVER_SECRET"];
  if (!url || !secret) return undefined;
  return {
    name: "external",
    url,
    serverName: process.env["TEST_HOMESERVER_SERVER_NAME"] ?? "localhost",
    sharedSecret: secret,
    adminToken: "",
  };
}

export async function startSynapse(options: StartSynapseOptions): Promise<SynapseHandle> {
  const args = [
    "start",
    options.name,
    String(options.port),
    options.extraConfigFile ?? "",
    options.modulesDir ?? "",
  ];
  const details = JSON.parse((await runScript(args)).trim().split("\n").pop()!) as Details;
  return {
    ...details,
    logPath: details.logPath,
    stop: async () => {
      await runScript(["stop", options.name]);
    },
    start: async () => {
      await runScript(args);
    },
    restart: async () => {
      await runScript(["stop", options.name]);
      await runScript(args);
    },
  };
}

export const MAIN_SYNAPSE_PORT = 18008;

/** The shared instance every test may use (never stop or reconfigure it). */
export async function ensureMainSynapse(): Promise<Omit<Details, "logPath">> {
  const outside = external();
  if (outside) {
    if (!outside.adminToken) outside.adminToken = (await registerUser(outside, { admin: true })).accessToken;
    return outside;
  }
  const handle = await startSynapse({ name: "main", port: MAIN_SYNAPSE_PORT });
  return {
    name: handle.name,
    url: handle.url,
    serverName: handle.serverName,
    sharedSecret: handle.sharedSecret,
    adminToken: handle.adminToken,
  };
}

export interface HomeserverRef {
  url: string;
  serverName: string;
  sharedSecret: string;
}

export interface TestUser {
  userId: string;
  localpart: string;
  accessToken: string;
  deviceId: string;
  password: string;
}

/** Registers a user through shared-secret registration (random unique name by default). */
export async function registerUser(
  hs: HomeserverRef,
  options: { localpart?: string; password?: string; admin?: boolean; displayname?: string } = {},
): Promise<TestUser> {
  const localpart = options.localpart ?? `user-${randomBytes(5).toString("hex")}`;
  const password = options.password ?? `pw-${randomBytes(8).toString("hex")}`;
  const { nonce } = (await (await fetch(`${hs.url}/_synapse/admin/v1/register`)).json()) as { nonce: string };
  const mac = createHmac("sha1", hs.sharedSecret)
    .update([nonce, localpart, password, options.admin ? "admin" : "notadmin"].join("\0"))
    .digest("hex");
  const response = await fetch(`${hs.url}/_synapse/admin/v1/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      nonce,
      username: localpart,
      password,
      admin: options.admin ?? false,
      mac,
      displayname: options.displayname,
    }),
  });
  const body = (await response.json()) as {
    user_id: string;
    access_token: string;
    device_id: string;
    error?: string;
  };
  if (!response.ok)
    throw new Error(`registering ${localpart} failed: ${response.status} ${JSON.stringify(body)}`);
  return {
    userId: body.user_id,
    localpart,
    accessToken: body.access_token,
    deviceId: body.device_id,
    password,
  };
}

export interface MatrixResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** A plain client-server or admin API call, for tests. */
export async function matrixRequest<T = Record<string, any>>(
  hs: { url: string },
  method: string,
  path: string,
  options: { accessToken?: string; body?: unknown } = {},
): Promise<MatrixResponse<T>> {
  const headers: Record<string, string> = {};
  if (options.accessToken) headers["authorization"] = `Bearer ${options.accessToken}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${hs.url}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}
