// Command permissions: who besides the moderators may manage registration tokens (!allow, `vestibule permissions`,
// the portal). A subject is an exact user ID or a /regular expression/ matched against user IDs.
import { checkNewPattern, compilePattern } from "../registration/pattern.ts";
import { actorLabel, parseUserId, type Actor, type UserId } from "../registration/types.ts";
import { invalid, type Invalid } from "./input.ts";
import { permissionScopes, type Permission, type PermissionScope, type PermissionStore } from "./ports.ts";

export interface PermissionDeps {
  permissions: PermissionStore;
  clock: () => Date;
}

export interface PermissionInput {
  /** "@alice:example.org", or "/^@.*:example\.org$/" for a pattern. */
  subject: string;
  /** Default "tokens", the only scope so far. */
  scope?: string;
}

type Subject = { subject: string; isPattern: boolean };

/** Parses a subject as typed: a user ID, or a pattern between slashes. */
export function parseSubject(text: string): { ok: true; value: Subject } | Invalid<"subject"> {
  const trimmed = text.trim();
  if (trimmed === "")
    return invalid(
      "subject",
      text,
      "give a user ID like @alice:example.org or a pattern like /^@.*:example\\.org$/",
    );
  if (trimmed.length > 2 && trimmed.startsWith("/") && trimmed.endsWith("/")) {
    const source = trimmed.slice(1, -1);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(source))
      return invalid("subject", text, `"${trimmed}" is not a usable pattern`);
    // Anchored: /@.*:example\.org/ must cover the whole user ID, not any ID that merely contains it.
    const compiled = checkNewPattern(source, { anchored: true });
    if (!compiled.ok) return invalid("subject", text, compiled.error);
    return { ok: true, value: { subject: source, isPattern: true } };
  }
  if (!parseUserId(trimmed))
    return invalid("subject", text, `"${trimmed}" is not a user ID (like @alice:example.org) or a /pattern/`);
  return { ok: true, value: { subject: trimmed, isPattern: false } };
}

function parseScope(text: string | undefined): { ok: true; scope: PermissionScope } | Invalid<"scope"> {
  const scope = (text ?? "tokens").trim();
  return (permissionScopes as readonly string[]).includes(scope)
    ? { ok: true, scope: scope as PermissionScope }
    : invalid("scope", scope, `the scope must be one of ${permissionScopes.join(", ")}`);
}

/** How a subject is written everywhere (lists, audit rows): patterns between slashes. */
export function showSubject(permission: Pick<Permission, "subject" | "isPattern">): string {
  return permission.isPattern ? `/${permission.subject}/` : permission.subject;
}

export type GrantResult = { ok: true; permission: Permission; added: boolean } | Invalid<"subject" | "scope">;

/** Gives a subject a permission; granting one that exists changes nothing and writes no audit row. */
export async function grantPermission(
  deps: PermissionDeps,
  actor: Actor,
  input: PermissionInput,
): Promise<GrantResult> {
  const subject = parseSubject(input.subject);
  if (!subject.ok) return subject;
  const scope = parseScope(input.scope);
  if (!scope.ok) return scope;
  const now = deps.clock();
  const label = actorLabel(actor);
  const permission: Permission = { ...subject.value, scope: scope.scope, createdBy: label, createdAt: now };
  return deps.permissions.transaction(async (tx) => {
    const added = await tx.add(permission, now);
    if (added)
      await tx.audit(
        {
          actor: label,
          action: "permission_granted",
          detail: { subject: showSubject(permission), scope: scope.scope },
        },
        now,
      );
    return { ok: true, permission, added };
  });
}

export type RevokeResult =
  { ok: true; permission: Permission } | { ok: false; reason: "not_found" } | Invalid<"subject" | "scope">;

export async function revokePermission(
  deps: PermissionDeps,
  actor: Actor,
  input: PermissionInput,
): Promise<RevokeResult> {
  const subject = parseSubject(input.subject);
  if (!subject.ok) return subject;
  const scope = parseScope(input.scope);
  if (!scope.ok) return scope;
  const now = deps.clock();
  return deps.permissions.transaction(async (tx) => {
    const removed = await tx.remove(subject.value.subject, scope.scope);
    if (!removed) return { ok: false, reason: "not_found" };
    await tx.audit(
      {
        actor: actorLabel(actor),
        action: "permission_revoked",
        detail: { subject: showSubject(removed), scope: scope.scope },
      },
      now,
    );
    return { ok: true, permission: removed };
  });
}

export async function listPermissions(
  deps: PermissionDeps,
  input: { scope?: string } = {},
): Promise<{ ok: true; permissions: Permission[] } | Invalid<"scope">> {
  const scope = parseScope(input.scope);
  if (!scope.ok) return scope;
  return { ok: true, permissions: await deps.permissions.list(scope.scope) };
}

/**
 * Whether one permission covers a user. A pattern must match the whole user ID (it runs on RE2, anchored); a stored
 * pattern RE2 cannot compile covers nobody.
 */
export function permits(permission: Pick<Permission, "subject" | "isPattern">, userId: string): boolean {
  if (!permission.isPattern) return permission.subject === userId;
  const compiled = compilePattern(permission.subject, { anchored: true });
  return compiled.ok && compiled.pattern.test(userId);
}

/** Whether a user who is not a moderator was given the right to use a command group. */
export async function mayUse(deps: PermissionDeps, userId: UserId, scope: PermissionScope): Promise<boolean> {
  return (await deps.permissions.list(scope)).some((permission) => permits(permission, userId));
}
