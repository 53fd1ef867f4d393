/**
 * The floor of the daily run: the same lock + calculation + write work, without Temporal.
 * Policy ids are paged from the database with the run's page size, cut into the run's batches,
 * and each batch goes through calculatePolicyDays (the core every activity runs) with the
 * run's chunk size; `parallelism` batches are in flight at once, as many as the worker runs
 * (a sliding window: no waiting between pages, so this is the ideal schedule of that work).
 * Same Redis lock backend, same pool size, same code, one process.
 */
import { calculatePolicyDays } from "../../src/calc/policy-days.ts";
import { createCalcStore } from "../../src/calc/store-adapter.ts";
import { addTotals, emptyTotals, type Totals } from "../../src/calc/totals.ts";
import type { Config } from "../../src/config.ts";
import { createLockBackend } from "../../src/locks/index.ts";
import { connectDatabase } from "../../src/store/connection.ts";

export interface FloorSettings {
  batchSize: number;
  chunkSize: number;
  pageSize: number;
  /** Batches in flight at once. */
  parallelism: number;
}

/** What the worker gets for a daily run: its batches in flight are capped by both settings. */
export function floorSettingsOf(config: Config): FloorSettings {
  return {
    batchSize: config.worker.batchSize,
    chunkSize: config.worker.chunkSize,
    pageSize: config.worker.pageSize,
    parallelism: Math.min(config.worker.batchConcurrency, config.worker.maxConcurrentActivities),
  };
}

export interface FloorRun {
  date: string;
  ms: number;
  totals: Totals;
}

export interface FloorRunner {
  run(date: string): Promise<FloorRun>;
  close(): Promise<void>;
}

export function createFloorRunner(
  config: Config,
  databaseUrl: string,
  settings: FloorSettings,
): FloorRunner {
  const database = connectDatabase(databaseUrl, {
    max: config.databasePoolMax,
    applicationName: "bench-daily-run-floor",
  });
  const locks = createLockBackend({ ...config, databaseUrl });
  const store = createCalcStore(database.db);
  const deps = { store, locks, lockTtlMs: config.lock.ttlMs };

  async function run(date: string): Promise<FloorRun> {
    const started = performance.now();
    const ids: string[] = [];
    for (let after: string | null = null;;) {
      const page = await store.policyIdsCovering(date, after, settings.pageSize);
      ids.push(...page);
      if (page.length < settings.pageSize) break;
      after = page[page.length - 1]!;
    }
    let next = 0;
    let totals = emptyTotals();
    const lane = async () => {
      while (next < ids.length) {
        const batch = ids.slice(next, next + settings.batchSize);
        next += settings.batchSize;
        const result = await calculatePolicyDays(deps, {
          date,
          policyIds: batch,
          writtenBy: "bench/daily-run/floor",
          chunkSize: settings.chunkSize,
        });
        totals = addTotals(totals, result.totals);
      }
    };
    await Promise.all(Array.from({ length: settings.parallelism }, lane));
    return { date, ms: performance.now() - started, totals };
  }

  return {
    run,
    async close() {
      await locks.close();
      await database.close();
    },
  };
}
