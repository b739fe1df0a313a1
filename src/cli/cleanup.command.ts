// vestibule cleanup [--dry-run]: runs the retention job once and prints what it removed (or would remove).
import type { Command } from "./command.ts";
import { withCliDeps } from "./deps.ts";

const labels: Record<string, string> = {
  unverifiedRequestsDeleted: "unverified requests deleted",
  requestsScrubbed: "decided requests stripped of personal data",
  expiredTokensDeleted: "expired links deleted",
  homeserverTokensQueued: "expired registration tokens queued for deletion on the homeserver",
  outboxRowsDeleted: "finished outbox rows deleted",
  housekeepingRowsDeleted: "old rate-limit and bot bookkeeping rows deleted",
};

export const cleanupCommand: Command = {
  name: "cleanup",
  summary: "apply the retention policy once and print what was removed",
  usage: ["cleanup [--dry-run]"],
  options: { "dry-run": { type: "boolean" } },
  async run(ctx) {
    const dryRun = ctx.options["dry-run"] === true;
    return withCliDeps(ctx, async (deps) => {
      const summary = await deps.cleanup(new Date(), { dryRun });
      const { unverifiedHours, decidedDays } = ctx.config.registration.retention;
      ctx.out(
        `${dryRun ? "would remove (dry run, nothing changed)" : "removed"}: policy unverified ${unverifiedHours} h, decided ${decidedDays} d`,
      );
      for (const [key, value] of Object.entries(summary))
        ctx.out(`  ${String(value).padStart(6)}  ${labels[key] ?? key}`);
      return { exitCode: 0 };
    });
  },
};
