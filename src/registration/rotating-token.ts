// When the shared registration token rotates, and when sign-ups are closed around it. Pure: times in, times out.

export interface RotationSettings {
  /** "HH:MM", UTC. */
  time: string;
  /** Sign-ups close this many minutes before each rotation. */
  closedMinutes: number;
}

export interface RotationWindow {
  /** The most recent rotation at or before `now`: the current token's period starts here. */
  validFrom: Date;
  /** The next rotation. */
  nextRotation: Date;
  /** Sign-ups are closed from here until nextRotation. */
  closesAt: Date;
  closed: boolean;
}

const DAY = 86_400_000;

export function rotationWindow(now: Date, settings: RotationSettings): RotationWindow {
  const [hours, minutes] = settings.time.split(":").map(Number) as [number, number];
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hours, minutes);
  const validFrom = today <= now.getTime() ? today : today - DAY;
  const nextRotation = validFrom + DAY;
  const closesAt = nextRotation - settings.closedMinutes * 60_000;
  return {
    validFrom: new Date(validFrom),
    nextRotation: new Date(nextRotation),
    closesAt: new Date(closesAt),
    closed: now.getTime() >= closesAt,
  };
}
