/** What /healthz reports: mode, target, uptime, and whether the invoker is known to be broken. */

export interface HealthSnapshot {
  status: "ok" | "unavailable";
  mode: "lambda" | "local";
  function?: string;
  file?: string;
  uptimeSeconds: number;
  /** Why the invoker is unavailable; never contains secrets (errors name functions and permissions). */
  reason?: string;
}

export class Health {
  private readonly startedAt = Date.now();
  private brokenReason: string | undefined;

  constructor(
    private readonly mode: "lambda" | "local",
    private readonly target: string,
  ) {}

  markBroken(reason: string): void {
    this.brokenReason = reason;
  }

  markHealthy(): void {
    this.brokenReason = undefined;
  }

  get broken(): string | undefined {
    return this.brokenReason;
  }

  snapshot(): HealthSnapshot {
    const snap: HealthSnapshot = {
      status: this.brokenReason === undefined ? "ok" : "unavailable",
      mode: this.mode,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
    };
    if (this.mode === "lambda") snap.function = this.target;
    else snap.file = this.target;
    if (this.brokenReason !== undefined) snap.reason = this.brokenReason;
    return snap;
  }
}
