/**
 * Readiness the Kubernetes way: `/readyz` says whether this worker can do its job now, i.e.
 * PostgreSQL, the lock backend (Redis) and Temporal answer and the worker polls. The checks run
 * in the background (every second, each bounded by its timeout), so that `/readyz` answers at
 * once from the last results and never multiplies load by the number of scrapers; a dependency
 * that drops shows within about `intervalMs + timeoutMs` (3 s by default), at once when an
 * event says so (the Redis client's `error`/`close`).
 *
 * A dependency going down is logged at once, in one warn line; while it stays down, again at
 * most once per `warnEveryMs`; its return in one info line. Never one line per failed command.
 */
import type { Gauge } from "prom-client";
import type { Logger } from "../log.ts";
import { causeOf } from "./startup-errors.ts";

export type DependencyName = "postgres" | "redis" | "temporal";

export interface DependencyProbe {
  name: DependencyName;
  /** Where it is, for logs: a redacted URL or host:port. */
  address: string;
  /** What to check or set when it is down (one clause). */
  fix: string;
  /** What the worker cannot do meanwhile (one clause). */
  impact: string;
  check(): Promise<void>;
}

export interface DependencyState {
  ok: boolean;
  /** Epoch ms of the last check (or event). */
  checkedAt: number;
  /** Epoch ms since which it is in this state. */
  since: number;
  error?: string;
}

export interface ReadinessReport {
  ready: boolean;
  /** The worker polls its task queue (Worker state RUNNING). */
  polling: { ok: boolean; state: string };
  dependencies: Partial<Record<DependencyName, DependencyState>>;
}

export interface ReadinessOptions {
  probes: readonly DependencyProbe[];
  /** Whether the worker polls now, and its state's name. */
  polling(): { ok: boolean; state: string };
  log: Logger;
  intervalMs?: number;
  warnEveryMs?: number;
  /** Results older than this count as failed (a check that stopped running). */
  staleMs?: number;
  gauges?: { ready: Gauge; dependencyUp: Gauge<"dependency"> };
  clock?: () => number;
}

interface Tracked {
  probe: DependencyProbe;
  state: DependencyState | undefined;
  lastWarnAt: number;
  failures: number;
}

export class ReadinessMonitor {
  readonly #options: ReadinessOptions;
  readonly #tracked: Map<DependencyName, Tracked>;
  readonly #clock: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #round: Promise<void> | undefined;

  constructor(options: ReadinessOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#tracked = new Map(
      options.probes.map((
        probe,
      ) => [probe.name, { probe, state: undefined, lastWarnAt: 0, failures: 0 }]),
    );
  }

  /** Runs one round of checks now, then one every `intervalMs` until stop(). */
  async start(): Promise<void> {
    await this.checkNow();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.checkNow().finally(() => this.#schedule());
    }, this.#options.intervalMs ?? 1_000);
    // A check loop alone never keeps a process alive (the worker's own run does).
    (this.#timer as { unref?: () => void }).unref?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#round;
  }

  /** One round of every check (concurrently); a round already running is joined. */
  checkNow(): Promise<void> {
    this.#round ??= Promise.all(
      [...this.#tracked.values()].map(async (t) => {
        try {
          await t.probe.check();
          this.markUp(t.probe.name);
        } catch (error) {
          this.markDown(t.probe.name, error);
        }
      }),
    ).then(() => {
      this.#round = undefined;
      this.#publish();
    });
    return this.#round;
  }

  /** A dependency answered. Logs its return after a failure. */
  markUp(name: DependencyName): void {
    const t = this.#tracked.get(name);
    if (!t) return;
    const now = this.#clock();
    if (t.state && !t.state.ok) {
      this.#options.log.info(`${name} reachable again`, {
        dependency: name,
        address: t.probe.address,
        downForMs: now - t.state.since,
        failedChecks: t.failures,
      });
    }
    t.failures = 0;
    t.state = { ok: true, checkedAt: now, since: t.state?.ok ? t.state.since : now };
    this.#publish();
  }

  /** A dependency failed (a check, or an event such as a closed connection). Rate-limited warn. */
  markDown(name: DependencyName, error: unknown): void {
    const t = this.#tracked.get(name);
    if (!t || this.#stopped) return;
    const now = this.#clock();
    const cause = causeOf(error);
    const wasUp = !t.state || t.state.ok;
    t.failures++;
    t.state = { ok: false, checkedAt: now, since: wasUp ? now : t.state!.since, error: cause };
    const every = this.#options.warnEveryMs ?? 60_000;
    if (wasUp || now - t.lastWarnAt >= every) {
      t.lastWarnAt = now;
      const still = wasUp ? "" : ` (down for ${Math.round((now - t.state.since) / 1000)} s)`;
      this.#options.log.warn(
        `${name} at ${t.probe.address} is unreachable${still}: ${cause}; ${t.probe.impact}; ${t.probe.fix}`,
        { dependency: name, address: t.probe.address, error: cause, failedChecks: t.failures },
      );
    }
    this.#publish();
  }

  report(): ReadinessReport {
    const now = this.#clock();
    const stale = this.#options.staleMs ?? 5_000;
    const polling = this.#options.polling();
    const dependencies: ReadinessReport["dependencies"] = {};
    let ready = polling.ok;
    for (const [name, t] of this.#tracked) {
      const state = t.state && now - t.state.checkedAt > stale
        ? { ...t.state, ok: false, error: `no check answered for ${now - t.state.checkedAt} ms` }
        : t.state;
      if (!state?.ok) ready = false;
      if (state) dependencies[name] = state;
    }
    return { ready, polling, dependencies };
  }

  #publish(): void {
    const gauges = this.#options.gauges;
    if (!gauges) return;
    const report = this.report();
    gauges.ready.set(report.ready ? 1 : 0);
    for (const name of this.#tracked.keys()) {
      gauges.dependencyUp.set({ dependency: name }, report.dependencies[name]?.ok ? 1 : 0);
    }
  }
}
