/**
 * The faults: planned up front with a seeded PRNG (same seed, same moments and targets
 * wherever they can be chosen in advance), injected while the workload runs, each logged with
 * its ISO time. They only touch what this run started: its worker processes, its own
 * redis-server and Temporal dev server, and the PostgreSQL backends of its workers (matched by
 * database name and application_name).
 */
import { Redis } from "ioredis";
import { parseLockValue } from "../../src/locks/redis/scripts.ts";
import type { Random } from "../../src/seed/random.ts";
import { connectSql } from "../../src/store/connection.ts";
import type { ChaosProfile } from "./profiles.ts";
import type { ChaosTemporal, RedisServer } from "./services.ts";
import { sleep, type Timeline } from "./timeline.ts";
import type { CounterSnapshot } from "./metrics.ts";
import type { Incarnation, WorkerPool } from "./workers.ts";

export type FaultKind = "kill" | "redis-restart" | "pg-terminate" | "sigstop" | "temporal-restart";

export interface PlannedFault {
  kind: FaultKind;
  atMs: number;
}

export interface InjectedFault {
  kind: FaultKind;
  /** When it was injected (ISO) and its offset from the start of the run. */
  at: string;
  offsetMs: number;
  /** When the fault was over: the process restarted, the service back, the worker thawed. */
  recoveredAt: string | null;
  target: string;
  detail: Record<string, unknown>;
}

/** A lock the frozen worker held when it was frozen, with the fencing token it wrote with. */
export interface FrozenLease {
  key: string;
  token: string;
}

/** Moments: one per equal slice of the window, each at a random place inside its slice. */
export function planFaults(profile: ChaosProfile, random: Random): PlannedFault[] {
  const f = profile.faults;
  const kinds: FaultKind[] = [
    ...Array<FaultKind>(f.kills).fill("kill"),
    ...Array<FaultKind>(f.redisRestarts).fill("redis-restart"),
    ...Array<FaultKind>(f.pgTerminations).fill("pg-terminate"),
    ...Array<FaultKind>(f.sigstops).fill("sigstop"),
    ...Array<FaultKind>(f.temporalRestarts).fill("temporal-restart"),
  ];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const { fromMs, toMs } = profile.faultWindow;
  const slice = (toMs - fromMs) / Math.max(1, kinds.length);
  const margin = Math.min(profile.minFaultGapMs / 2, slice / 2);
  return kinds.map((kind, i) => {
    const lo = Math.round(fromMs + i * slice + margin);
    const hi = Math.max(lo, Math.round(fromMs + (i + 1) * slice - margin));
    return { kind, atMs: random.int(lo, hi) };
  });
}

export interface FaultTargets {
  profile: ChaosProfile;
  pool: WorkerPool;
  redis: RedisServer;
  temporal: ChaosTemporal;
  databaseName: string;
  adminUrl: string;
  timeline: Timeline;
  random: Random;
}

export class FaultInjector {
  readonly injected: InjectedFault[] = [];
  readonly frozenLeases: FrozenLease[] = [];
  /** The frozen worker and its counters when it was frozen (to see what it did after SIGCONT). */
  frozen: { incarnation: Incarnation; countersAtFreeze: CounterSnapshot } | undefined;
  #stopped = false;

  constructor(private readonly t: FaultTargets) {}

  /** Injects every planned fault at `startedAt + atMs`; resolves when all are over. */
  async runAt(plan: readonly PlannedFault[], startedAt: number): Promise<void> {
    await Promise.all(plan.map(async (fault) => {
      await sleep(startedAt + fault.atMs - Date.now());
      if (!this.#stopped) await this.#inject(fault.kind);
    }));
  }

  /** No further fault is injected (the run failed and is tearing down). */
  stop(): void {
    this.#stopped = true;
  }

  async #inject(kind: FaultKind): Promise<void> {
    const record = (target: string, detail: Record<string, unknown> = {}): InjectedFault => {
      const entry = this.t.timeline.log(`FAULT ${kind} ${target} ${JSON.stringify(detail)}`);
      const fault: InjectedFault = {
        kind,
        at: entry.at,
        offsetMs: entry.offsetMs,
        recoveredAt: null,
        target,
        detail,
      };
      this.injected.push(fault);
      return fault;
    };
    const recovered = (fault: InjectedFault, what: string) => {
      fault.recoveredAt = this.t.timeline.log(`recovered from ${kind} ${fault.target}: ${what}`).at;
    };
    switch (kind) {
      case "kill": {
        let slot = await this.#pickSlot();
        // It may have died on its own since it was picked: pick again.
        while (!this.t.pool.live(slot)) slot = await this.#pickSlot();
        const pid = this.t.pool.live(slot)?.pid;
        const fault = record(slot, { pid, signal: "SIGKILL" });
        const { next } = await this.t.pool.kill(slot);
        fault.detail["restartedPid"] = next?.pid ?? null;
        recovered(fault, next ? `restarted as pid ${next.pid}` : "not restarted (closing)");
        return;
      }
      case "redis-restart": {
        const fault = record(`redis-server :${this.t.redis.port}`, {
          pid: this.t.redis.pid,
          downtimeMs: this.t.profile.restartDowntimeMs,
        });
        await this.t.redis.restart(this.t.profile.restartDowntimeMs);
        recovered(fault, `listening again, pid ${this.t.redis.pid}`);
        return;
      }
      case "pg-terminate": {
        const pids = await this.#terminateWorkerBackends();
        const fault = record(`postgres ${this.t.databaseName}`, { terminated: pids.length, pids });
        fault.recoveredAt = fault.at;
        return;
      }
      case "sigstop": {
        let busiest = await this.#busiestSlot();
        while (!this.t.pool.live(busiest.slot)) busiest = await this.#busiestSlot();
        const { slot, leases } = busiest;
        const incarnation = this.t.pool.freeze(slot);
        this.frozenLeases.push(...leases);
        this.frozen = { incarnation, countersAtFreeze: { ...incarnation.counters } };
        const fault = record(slot, {
          pid: incarnation.pid,
          locksHeld: leases.length,
          stoppedForMs: this.t.profile.sigstopMs,
          lockTtlMs: this.t.profile.lockTtlMs,
        });
        await sleep(this.t.profile.sigstopMs);
        this.t.pool.thaw(slot);
        recovered(fault, `SIGCONT pid ${incarnation.pid}`);
        return;
      }
      case "temporal-restart": {
        const fault = record(`temporal ${this.t.temporal.address}`, {
          pid: this.t.temporal.pid,
          downtimeMs: this.t.profile.restartDowntimeMs,
        });
        await this.t.temporal.restart(this.t.profile.restartDowntimeMs);
        recovered(fault, `serving again, pid ${this.t.temporal.pid}`);
        return;
      }
    }
  }

  /** A random live worker that is not frozen (a kill never lands on the frozen one). */
  #liveSlots(): string[] {
    return this.t.pool.slotNames.filter((s) => {
      const live = this.t.pool.live(s);
      return live && !live.frozen && live.readyAt;
    });
  }

  /**
   * Waits until some worker is live: when a fault comes due while every worker is restarting
   * (killed, or crashed on its own), it lands on the first one back.
   */
  async #someLive(): Promise<void> {
    const deadline = Date.now() + 180_000;
    while (this.#liveSlots().length === 0) {
      if (Date.now() > deadline) throw new Error("no worker came back within 3 minutes");
      await sleep(200);
    }
  }

  async #pickSlot(): Promise<string> {
    await this.#someLive();
    return this.t.random.pick(this.#liveSlots());
  }

  /** pg_terminate_backend on this run's database, workers' backends only. */
  async #terminateWorkerBackends(): Promise<number[]> {
    const sql = connectSql(this.t.adminUrl, { max: 1, applicationName: "claims-chaos" });
    try {
      // The call sits in the select list, which runs only for rows that passed WHERE (in a
      // WHERE clause the planner may evaluate it before the filters, on anyone's backend).
      const rows = await sql<{ pid: number; terminated: boolean }[]>`
        select pid, pg_terminate_backend(pid) as terminated from pg_stat_activity
        where datname = ${this.t.databaseName} and application_name = 'claims-worker'
          and pid <> pg_backend_pid()`;
      return rows.filter((r) => r.terminated).map((r) => r.pid);
    } finally {
      await sql.end({ timeout: 5 });
    }
  }

  /**
   * The live worker holding the most claim locks, and those locks with their tokens. A worker
   * between two chunks holds none, so this looks again and again for up to 10 s for one
   * that holds some (freezing a worker in the middle of its work is the point).
   */
  async #busiestSlot(): Promise<{ slot: string; leases: FrozenLease[] }> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      await this.#someLive();
      const best = await this.#lockHolders();
      if (best && (best.leases.length > 0 || Date.now() > deadline)) return best;
      await sleep(100);
    }
  }

  /** Null when no worker is live any more (they may all be restarting). */
  async #lockHolders(): Promise<{ slot: string; leases: FrozenLease[] } | null> {
    const byPid = new Map<number, FrozenLease[]>();
    const redis = new Redis(this.t.redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on("error", () => {});
    try {
      await redis.connect();
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", "lock:claim_calc:*", "COUNT", 1000);
        cursor = next;
        const values = keys.length > 0 ? await redis.mget(...keys) : [];
        keys.forEach((key, i) => {
          const parsed = values[i] ? parseLockValue(values[i]!) : null;
          const pid = Number(parsed?.holder.split("/")[1]);
          if (!parsed || !Number.isInteger(pid)) return;
          byPid.set(pid, [...(byPid.get(pid) ?? []), { key, token: parsed.token }]);
        });
      } while (cursor !== "0");
    } catch {
      // Redis restarting: no locks to see; any live worker will do.
    } finally {
      redis.disconnect();
    }
    let best: { slot: string; leases: FrozenLease[] } | undefined;
    for (const slot of this.t.pool.slotNames) {
      const live = this.t.pool.live(slot);
      if (!live || live.frozen || !live.readyAt) continue;
      const leases = byPid.get(live.pid) ?? [];
      if (!best || leases.length > best.leases.length) best = { slot, leases };
    }
    return best ?? null;
  }
}
