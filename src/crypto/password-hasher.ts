// argon2id password hashing (libsodium crypto_pwhash_str) in a pool of worker threads, so a login never stalls the
// event loop for the ~100 ms a hash costs.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { AppError } from "../errors.ts";
import { loadSodium } from "./secretbox.ts";

export type PwhashLimit = "interactive" | "moderate" | "sensitive" | number;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password and for a malformed stored hash. */
  verify(hash: string, password: string): Promise<boolean>;
  /** The stored hash was made with other limits than the configured ones. */
  needsRehash(hash: string): Promise<boolean>;
  /**
   * A hash of a random password made with the configured limits: verifying against it costs what a real check
   * costs, so an unknown user answers as slowly as a wrong password.
   */
  dummyHash(): Promise<string>;
  close(): Promise<void>;
}

export interface PasswordHasherOptions {
  opsLimit: PwhashLimit;
  memLimit: PwhashLimit;
  /** Worker threads (default: the number of CPUs). */
  threads?: number;
}

export async function resolveLimits(options: Pick<PasswordHasherOptions, "opsLimit" | "memLimit">) {
  const sodium = await loadSodium();
  const ops = {
    interactive: sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE,
    moderate: sodium.crypto_pwhash_OPSLIMIT_MODERATE,
    sensitive: sodium.crypto_pwhash_OPSLIMIT_SENSITIVE,
  };
  const mem = {
    interactive: sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE,
    moderate: sodium.crypto_pwhash_MEMLIMIT_MODERATE,
    sensitive: sodium.crypto_pwhash_MEMLIMIT_SENSITIVE,
  };
  const opsLimit = typeof options.opsLimit === "number" ? options.opsLimit : ops[options.opsLimit];
  const memLimit = typeof options.memLimit === "number" ? options.memLimit : mem[options.memLimit];
  if (opsLimit < sodium.crypto_pwhash_OPSLIMIT_MIN || memLimit < sodium.crypto_pwhash_MEMLIMIT_MIN) {
    throw new AppError("config", `accounts.pwhash limits are below libsodium's minimum`);
  }
  return { opsLimit, memLimit };
}

interface Pending {
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Calls waiting for this worker to become ready, then posted. */
  queued: { id: number; message: Record<string, unknown> }[];
  pending: Map<number, Pending>;
}

const workerUrl = new URL("./pwhash.worker.ts", import.meta.url);
/** Workers that die before they are ready this many times in a row mean the worker cannot start at all. */
const MAX_START_FAILURES = 3;

export async function createPasswordHasher(options: PasswordHasherOptions): Promise<PasswordHasher> {
  const limits = await resolveLimits(options);
  const size = Math.max(1, options.threads ?? availableParallelism());
  let nextId = 1;
  let closed = false;
  let broken: Error | undefined;
  let startFailures = 0;
  let turn = 0;
  const slots: Slot[] = [];

  const rejectAll = (slot: Slot, error: Error) => {
    for (const call of slot.pending.values()) call.reject(error);
    slot.pending.clear();
    slot.queued.length = 0;
  };

  const spawn = (index: number): Slot => {
    const worker = new Worker(workerUrl);
    worker.unref();
    const slot: Slot = { worker, ready: false, queued: [], pending: new Map() };
    worker.on(
      "message",
      (message: { ready?: true; id?: number; result?: string | boolean; error?: string }) => {
        if (message.ready) {
          slot.ready = true;
          startFailures = 0;
          for (const queued of slot.queued.splice(0)) worker.postMessage(queued.message);
          return;
        }
        const call = slot.pending.get(message.id!);
        if (!call) return;
        slot.pending.delete(message.id!);
        if (slot.pending.size === 0) worker.unref();
        if (message.error !== undefined)
          call.reject(new AppError("internal", `password hashing failed: ${message.error}`));
        else call.resolve(message.result!);
      },
    );
    let lastError: Error | undefined;
    worker.on("error", (error: Error) => {
      lastError = error;
    });
    // 'exit' follows 'error' too: replace the worker exactly once, here.
    worker.on("exit", (code) => {
      if (closed || slots[index] !== slot) return;
      const reason = lastError?.message ?? `exit code ${code}`;
      rejectAll(slot, new AppError("internal", `password worker died: ${reason}`));
      if (!slot.ready && ++startFailures >= MAX_START_FAILURES) {
        broken = new AppError("internal", `password workers cannot start: ${reason}`);
        return;
      }
      slots[index] = spawn(index);
    });
    return slot;
  };
  for (let i = 0; i < size; i++) slots.push(spawn(i));

  const call = (job: { op: "hash" | "verify" | "needsRehash"; password?: string; hash?: string }) => {
    if (closed) return Promise.reject(new AppError("internal", "password hasher is closed"));
    if (broken) return Promise.reject(broken);
    // The least busy worker; ties go round-robin.
    let best = turn++ % slots.length;
    for (let i = 0; i < slots.length; i++) if (slots[i]!.pending.size < slots[best]!.pending.size) best = i;
    const slot = slots[best]!;
    const id = nextId++;
    return new Promise<string | boolean>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      // While calls are outstanding the worker must keep the process alive.
      slot.worker.ref();
      const message = { id, ...job, ...limits };
      if (slot.ready) slot.worker.postMessage(message);
      else slot.queued.push({ id, message });
    });
  };

  let dummy: Promise<string> | undefined;
  const hasher: PasswordHasher = {
    hash: async (password) => (await call({ op: "hash", password })) as string,
    verify: async (hash, password) => (await call({ op: "verify", hash, password })) as boolean,
    needsRehash: async (hash) => (await call({ op: "needsRehash", hash })) as boolean,
    dummyHash() {
      dummy ??= hasher.hash(`dummy-${Math.random()}-${Date.now()}`);
      return dummy;
    },
    async close() {
      closed = true;
      for (const slot of slots) rejectAll(slot, new AppError("internal", "password hasher closed"));
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
  return hasher;
}
