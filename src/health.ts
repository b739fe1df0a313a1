// What each dependency looks like right now, for GET /healthz and the log. Components report into it; nothing
// here calls out, so /healthz answers instantly even when the homeserver hangs.

export type ComponentName = "database" | "homeserver" | "mail" | "bot" | "jobs";

export interface ComponentHealth {
  /** ok: working; degraded: works partly or is retrying; down: not working; disabled: not configured or role off. */
  status: "ok" | "degraded" | "down" | "disabled";
  /** A short, human-readable explanation (never a secret). */
  detail?: string;
  since: string;
}

export interface Health {
  report(component: ComponentName, status: ComponentHealth["status"], detail?: string): void;
  get(component: ComponentName): ComponentHealth | undefined;
  snapshot(): {
    status: "ok" | "degraded" | "down";
    components: Partial<Record<ComponentName, ComponentHealth>>;
  };
  /** Called when a component's status changes (logging). */
  onChange(
    listener: (
      component: ComponentName,
      health: ComponentHealth,
      previous: ComponentHealth | undefined,
    ) => void,
  ): void;
}

export function createHealth(clock: () => Date = () => new Date()): Health {
  const components = new Map<ComponentName, ComponentHealth>();
  const listeners: ((c: ComponentName, h: ComponentHealth, p: ComponentHealth | undefined) => void)[] = [];
  return {
    report(component, status, detail) {
      const previous = components.get(component);
      if (previous && previous.status === status && previous.detail === detail) return;
      const next: ComponentHealth =
        detail === undefined
          ? { status, since: clock().toISOString() }
          : { status, detail, since: clock().toISOString() };
      components.set(component, next);
      for (const listener of listeners) listener(component, next, previous);
    },
    get: (component) => components.get(component),
    snapshot() {
      const entries = Object.fromEntries(components) as Partial<Record<ComponentName, ComponentHealth>>;
      const statuses = [...components.values()].map((c) => c.status);
      // The service is down only when its database is; anything else failing makes it degraded.
      const status =
        components.get("database")?.status === "down"
          ? "down"
          : statuses.some((s) => s === "down" || s === "degraded")
            ? "degraded"
            : "ok";
      return { status, components: entries };
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
