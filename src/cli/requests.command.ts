// vestibule requests list|show|approve|decline|retry|resend: the operator's view of requests. Decisions go
// through the same transitions as the bot's, so the room message is edited and the applicant emailed as well.
import { openDatabase } from "../db/database.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { createRegistrationStore } from "../db/registration.store.ts";
import type { RegistrationStore } from "../registration/ports.ts";
import { approve, decline, resendCredentials, retry, type Refusal } from "../registration/transitions.ts";
import { displayNameOf, requestStates, type RequestId, type RequestState } from "../registration/types.ts";
import { UsageError, type Command, type CommandContext } from "./command.ts";
import { cliActorName } from "./deps.ts";

function parseId(value: string | undefined): RequestId {
  if (value === undefined) throw new UsageError("which request? give its ID");
  if (!/^#?\d{1,9}$/.test(value)) throw new UsageError(`"${value}" is not a request ID`);
  return Number(value.replace("#", "")) as RequestId;
}

function explain(refusal: Refusal | { ok: false; reason: "not_applicable" }, id: number): string {
  switch (refusal.reason) {
    case "not_found":
      return `there is no request #${id}`;
    case "wrong_state":
      return `request #${id} is ${refusal.state}; that cannot be done now`;
    case "not_applicable":
      return `request #${id} has no credentials to resend in this mode`;
    case "duplicate":
      return "already done";
  }
}

function stamp(date: Date | null): string {
  return date ? date.toISOString().slice(0, 16).replace("T", " ") : "-";
}

async function run(ctx: CommandContext, store: RegistrationStore): Promise<{ exitCode: number }> {
  const [action, ...rest] = ctx.positionals;
  const actor = { kind: "cli" as const, name: cliActorName(ctx.env) };
  const settings = {
    adminEmail: ctx.config.mail.adminEmail,
    approvalsRequired: ctx.config.bot.approvalsRequired,
    declinesRequired: ctx.config.bot.declinesRequired,
    mode: ctx.config.homeserver.mode,
    credentials: ctx.config.registration.credentials,
    invitesSkipReview: ctx.config.registration.invitesSkipReview,
  };
  const now = new Date();
  const outcome = (
    result: { ok: true } | Refusal | { ok: false; reason: "not_applicable" },
    id: number,
    done: string,
  ) => {
    if (result.ok) {
      ctx.out(done);
      return { exitCode: 0 };
    }
    ctx.err(explain(result, id));
    return { exitCode: 1 };
  };
  switch (action) {
    case "list": {
      const stateOption = ctx.options["state"] as string | undefined;
      const states = stateOption === undefined ? undefined : stateOption.split(",").map((s) => s.trim());
      for (const state of states ?? []) {
        if (!(requestStates as readonly string[]).includes(state))
          throw new UsageError(`unknown state "${state}" (states: ${requestStates.join(", ")})`);
      }
      const search = ctx.options["search"] as string | undefined;
      const requests = await store.listRequests({
        ...(states ? { states: states as RequestState[] } : {}),
        ...(search ? { search } : {}),
        limit: 200,
      });
      if (requests.length === 0) ctx.out("no requests");
      for (const r of requests) {
        ctx.out(
          `#${String(r.id).padEnd(6)} ${r.state.padEnd(11)} ${r.localpart.padEnd(24)} ${stamp(r.createdAt)}  ${r.scrubbedAt ? "(personal data removed)" : `${displayNameOf(r)} <${r.email ?? ""}>`}`,
        );
      }
      return { exitCode: 0 };
    }
    case "show": {
      const id = parseId(rest[0]);
      const request = await store.getRequest(id);
      if (!request) {
        ctx.err(`there is no request #${id}`);
        return { exitCode: 1 };
      }
      ctx.out(`request #${request.id}: ${request.localpart} — ${request.state}`);
      ctx.out(
        `  name: ${displayNameOf(request)}   email: ${request.email ?? "(removed)"}   language: ${request.locale}`,
      );
      if (request.note) ctx.out(`  note: ${request.note.replace(/\n/g, "\n        ")}`);
      ctx.out(
        `  submitted ${stamp(request.createdAt)}, verified ${stamp(request.verifiedAt)}, decided ${stamp(request.decidedAt)} by ${request.decidedBy ?? "-"}`,
      );
      if (request.decisionReason) ctx.out(`  reason: ${request.decisionReason}`);
      if (request.failureReason) ctx.out(`  failure: ${request.failureReason}`);
      if (request.userId) ctx.out(`  account: ${request.userId}`);
      for (const vote of await store.listVotes(id))
        ctx.out(
          `  vote: ${vote.decision} by ${vote.voter} (${vote.source}) ${stamp(vote.createdAt)}${vote.reason ? ` — ${vote.reason}` : ""}`,
        );
      ctx.out("  audit trail:");
      for (const entry of await store.auditTrail(id))
        ctx.out(
          `    ${stamp(entry.createdAt)}  ${entry.actor.padEnd(28)} ${entry.action} ${Object.keys(entry.detail).length ? JSON.stringify(entry.detail) : ""}`,
        );
      return { exitCode: 0 };
    }
    case "approve": {
      const id = parseId(rest[0]);
      if (rest.length > 1) throw new UsageError("approve takes one ID");
      return outcome(
        await approve(store, { id, actor }, now),
        id,
        `request #${id} approved; the account is created by the running service`,
      );
    }
    case "decline": {
      const id = parseId(rest[0]);
      const reason =
        ((ctx.options["reason"] as string | undefined) ?? rest.slice(1).join(" ")).trim() || null;
      if (reason && reason.length > 500) throw new UsageError("the reason is longer than 500 characters");
      return outcome(await decline(store, { id, actor, reason }, now), id, `request #${id} declined`);
    }
    case "retry": {
      const id = parseId(rest[0]);
      return outcome(await retry(store, { id, actor }, now), id, `request #${id} will be provisioned again`);
    }
    case "resend": {
      const id = parseId(rest[0]);
      return outcome(
        await resendCredentials(store, settings, { id, actor }, now),
        id,
        `new credentials for request #${id} are on their way`,
      );
    }
    default:
      throw new UsageError(
        action === undefined
          ? "which action? list, show, approve, decline, retry or resend"
          : `unknown action "${action}"`,
      );
  }
}

export const requestsCommand: Command = {
  name: "requests",
  summary: "list, inspect and decide registration requests",
  usage: [
    "requests list [--state pending,failed] [--search TEXT]",
    "requests show ID",
    "requests approve ID",
    "requests decline ID [REASON…] [--reason TEXT]",
    "requests retry ID",
    "requests resend ID",
  ],
  options: { state: { type: "string" }, search: { type: "string" }, reason: { type: "string" } },
  async run(ctx) {
    const database = await openDatabase({
      url: ctx.config.database.url,
      dataDir: ctx.config.dataDir,
      poolSize: 2,
    });
    try {
      await migrateToLatest(database.db);
      return await run(ctx, createRegistrationStore(database.db));
    } finally {
      await database.close();
    }
  },
};
