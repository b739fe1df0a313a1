// vestibule requests list|show|approve|decline|retry|resend: the operator's view of requests. Decisions go through
// the same use cases as the room's and the portal's (src/moderation/decisions.ts), so the room message is edited
// and the applicant emailed as well; an operator decides at once, without a quorum.
import { decide, resend, retryRequest, type Invalid } from "../moderation/index.ts";
import type { Refusal } from "../registration/transitions.ts";
import { displayNameOf, parseRequestId, requestStates, type RequestState } from "../registration/types.ts";
import { UsageError, type Command, type CommandContext } from "./command.ts";
import { cliActorName, withCliDeps, type CliDeps } from "./deps.ts";

function explain(refusal: Refusal | { ok: false; reason: "not_applicable" }, id: string): string {
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

async function run(ctx: CommandContext, deps: CliDeps, action: string, rest: string[]) {
  const actor = { kind: "cli" as const, name: cliActorName(ctx.env) };
  const store = deps.store;
  const id = rest[0] ?? "";
  const outcome = (
    result: { ok: true } | Refusal | { ok: false; reason: "not_applicable" } | Invalid,
    done: string,
  ) => {
    if (result.ok) {
      ctx.out(done);
      return { exitCode: 0 };
    }
    if (result.reason === "invalid") throw new UsageError(result.explanation);
    ctx.err(explain(result, id.replace("#", "")));
    return { exitCode: 1 };
  };
  const shown = id.replace("#", "");
  switch (action) {
    case "list": {
      const stateOption = ctx.options["state"] as string | undefined;
      const states = stateOption === undefined ? undefined : stateOption.split(",").map((s) => s.trim());
      const known = (states ?? []).filter((s): s is RequestState =>
        (requestStates as readonly string[]).includes(s),
      );
      const unknown = (states ?? []).find((s) => !known.includes(s as RequestState));
      if (unknown !== undefined)
        throw new UsageError(`unknown state "${unknown}" (states: ${requestStates.join(", ")})`);
      const search = ctx.options["search"] as string | undefined;
      const requests = await store.listRequests({
        ...(states ? { states: known } : {}),
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
      const requestId = parseRequestId(id);
      if (!requestId) throw new UsageError(`"${id}" is not a request ID`);
      const request = await store.getRequest(requestId);
      if (!request) {
        ctx.err(`there is no request #${requestId}`);
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
      for (const vote of await store.listVotes(request.id))
        ctx.out(
          `  vote: ${vote.decision} by ${vote.voter} (${vote.source}) ${stamp(vote.createdAt)}${vote.reason ? ` — ${vote.reason}` : ""}`,
        );
      ctx.out("  audit trail:");
      for (const entry of await store.auditTrail(request.id))
        ctx.out(
          `    ${stamp(entry.createdAt)}  ${entry.actor.padEnd(28)} ${entry.action} ${Object.keys(entry.detail).length ? JSON.stringify(entry.detail) : ""}`,
        );
      return { exitCode: 0 };
    }
    case "approve":
      return outcome(
        await decide(deps.moderation, actor, { id, decision: "approve" }),
        `request #${shown} approved; the account is created by the running service`,
      );
    case "decline": {
      const reason = (ctx.options["reason"] as string | undefined) ?? rest.slice(1).join(" ");
      return outcome(
        await decide(deps.moderation, actor, { id, decision: "decline", reason }),
        `request #${shown} declined`,
      );
    }
    case "retry":
      return outcome(
        await retryRequest(deps.moderation, actor, { id }),
        `request #${shown} will be provisioned again`,
      );
    default:
      return outcome(
        await resend(deps.moderation, actor, { id }),
        `new credentials for request #${shown} are on their way`,
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
    const [action, ...rest] = ctx.positionals;
    const actions = ["list", "show", "approve", "decline", "retry", "resend"];
    if (action === undefined || !actions.includes(action))
      throw new UsageError(
        action === undefined
          ? "which action? list, show, approve, decline, retry or resend"
          : `unknown action "${action}"`,
      );
    if (action !== "list" && rest[0] === undefined) throw new UsageError("which request? give its ID");
    if (["show", "approve", "retry", "resend"].includes(action) && rest.length > 1)
      throw new UsageError(`${action} takes one ID`);
    return withCliDeps(ctx, (deps) => run(ctx, deps, action, rest));
  },
};
