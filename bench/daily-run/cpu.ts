/**
 * CPU time a measurement cost, by process: the benchmark process itself (the floor runs in
 * it), the worker, the Temporal server, the PostgreSQL backends of one database (found in
 * pg_stat_activity), and for a Temporal server on PostgreSQL the backends of its history and
 * visibility databases (`temporalPostgres`: what its persistence costs the database server).
 * On a machine shared with other suites, CPU per policy-day says where the cost goes even when
 * wall time is noisy. Redis is shared with everything else and left out.
 */
import process from "node:process";
import { connectSql } from "../../src/store/connection.ts";
import { readProcCpuMs } from "../lib/proc-stats.ts";

export interface CpuUse {
  /** CPU ms by process name over the measured interval. */
  ms: Record<string, number>;
}

export interface CpuProbe {
  stop(): Promise<CpuUse>;
}

async function backendCpu(url: string, databases: string[]): Promise<Map<number, number>> {
  const sql = connectSql(url, { max: 1, applicationName: "bench-daily-run-cpu" });
  try {
    const rows = await sql<{ pid: number }[]>`
      select pid from pg_stat_activity
      where datname = any(${databases}) and pid <> pg_backend_pid()`;
    const out = new Map<number, number>();
    for (const { pid } of rows) {
      const ms = readProcCpuMs(pid);
      if (ms !== null) out.set(pid, ms);
    }
    return out;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Starts counting. `pids` names other processes; `self` counts this process; `postgres` the
 * backends of that database, `temporalPostgres` those of the Temporal server's databases
 * (backends that exit during the interval are missed: the pools here keep theirs open for the
 * whole of a measurement; backends that start during it count whole).
 */
export async function startCpuProbe(options: {
  pids: Record<string, number>;
  self?: string;
  postgres?: { url: string; database: string };
  temporalPostgres?: { url: string; databases: string[] };
}): Promise<CpuProbe> {
  const before = new Map(
    Object.entries(options.pids).map(([name, pid]) => [name, readProcCpuMs(pid) ?? 0]),
  );
  const selfBefore = process.cpuUsage();
  const pgBefore = options.postgres
    ? await backendCpu(options.postgres.url, [options.postgres.database])
    : new Map<number, number>();
  const temporalPgBefore = options.temporalPostgres
    ? await backendCpu(options.temporalPostgres.url, options.temporalPostgres.databases)
    : new Map<number, number>();
  return {
    async stop() {
      const ms: Record<string, number> = {};
      if (options.self) {
        const used = process.cpuUsage(selfBefore);
        ms[options.self] = Math.round((used.user + used.system) / 1000);
      }
      for (const [name, pid] of Object.entries(options.pids)) {
        ms[name] = Math.round((readProcCpuMs(pid) ?? 0) - before.get(name)!);
      }
      const used = (after: Map<number, number>, before: Map<number, number>) => {
        let total = 0;
        for (const [pid, now] of after) total += now - (before.get(pid) ?? 0);
        return Math.round(total);
      };
      if (options.postgres) {
        const { url, database } = options.postgres;
        ms["postgres"] = used(await backendCpu(url, [database]), pgBefore);
      }
      if (options.temporalPostgres) {
        const { url, databases } = options.temporalPostgres;
        ms["temporalPostgres"] = used(await backendCpu(url, databases), temporalPgBefore);
      }
      return { ms };
    },
  };
}
