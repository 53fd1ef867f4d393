/**
 * The sweep behind the worker's default chunk size, batch size and batches in flight (issue
 * 13: "choose them by measurement"). One stack and one book (100,000 policies by default, the
 * daily-run benchmark's data); for each setting a fresh worker process with that setting, a
 * warm-up date, then the daily run of every policy on MEASURED fresh dates, timed from the
 * client, with the CPU of the worker, the Temporal server and the PostgreSQL backends. The
 * first setting runs again at the end: the book grows a day of claims and ledger rows with
 * every date, and the repeat shows how much of a difference is that drift.
 *
 *   node --import tsx bench/daily-run-sweep.ts [--policies N] [--out FILE]
 *   make bench-daily-run-sweep
 *
 * Results: bench/results/daily-run-sweep.json. Not part of the tests.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config.ts";
import { addDays } from "../src/domain/calendar.ts";
import { spawnWorker } from "../tests/support/workers.ts";
import { describeMachine } from "./lib/machine.ts";
import { startCpuProbe } from "./daily-run/cpu.ts";
import type { PolicyGroup } from "./daily-run/data.ts";
import { guardAgainstExit, startStack } from "./daily-run/stack.ts";
import { runDailyRun } from "./daily-run/temporal-runs.ts";

const { values: flags } = parseArgs({
  options: {
    policies: { type: "string", default: "100000" },
    seed: { type: "string", default: "bench-daily-run-1" },
    out: { type: "string", default: path.join("bench", "results", "daily-run-sweep.json") },
  },
});
const POLICIES = Number(flags.policies);
if (!Number.isSafeInteger(POLICIES) || POLICIES < 1) {
  throw new Error(`--policies must be a positive integer, got ${flags.policies}`);
}
const MEASURED = 2;

interface Setting {
  chunk: number;
  batch: number;
  inFlight: number;
}

/** Around the defaults, one knob at a time, and the old defaults (100/500/4) first and last. */
const SETTINGS: Setting[] = [
  { chunk: 100, batch: 500, inFlight: 4 },
  { chunk: 250, batch: 1000, inFlight: 4 },
  { chunk: 500, batch: 1000, inFlight: 4 },
  { chunk: 500, batch: 2000, inFlight: 2 },
  { chunk: 500, batch: 2000, inFlight: 4 },
  { chunk: 500, batch: 2000, inFlight: 8 },
  { chunk: 1000, batch: 2000, inFlight: 4 },
  { chunk: 1000, batch: 4000, inFlight: 4 },
  { chunk: 500, batch: 5000, inFlight: 4 },
  { chunk: 100, batch: 500, inFlight: 4 },
];

const t0 = performance.now();
const step = (message: string) =>
  console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${message}`);
const round2 = (n: number) => Math.round(n * 100) / 100;

const dates = Array.from(
  { length: SETTINGS.length * (1 + MEASURED) },
  (_, i) => addDays("2025-06-15", i),
);
const group: PolicyGroup = { prefix: "sw", size: POLICIES, year: 2025, dates };
step(`sweep: ${POLICIES} policies, ${SETTINGS.length} settings, ${MEASURED} measured dates each`);
const stack = await startStack([group], flags.seed!, step);
const results: (Setting & {
  policyDaysPerSecond: number;
  cpuMsPer1000PolicyDays: Record<string, number>;
})[] = [];
try {
  for (const [index, setting] of SETTINGS.entries()) {
    const env: Record<string, string> = {
      ...stack.env,
      TEMPORAL_TASK_QUEUE: `${stack.env["TEMPORAL_TASK_QUEUE"]}-sweep-${index}`,
      SCHEDULE_ID: `${stack.env["SCHEDULE_ID"]}-sweep-${index}`,
      CLAIMS_CHUNK_SIZE: String(setting.chunk),
      CLAIMS_BATCH_SIZE: String(setting.batch),
      CLAIMS_BATCH_CONCURRENCY: String(setting.inFlight),
    };
    const config = loadConfig(env);
    const worker = await spawnWorker({
      name: `sweep-worker-${index}`,
      env,
      workflowBundle: stack.workflowBundle,
      runtime: "node",
    });
    const guard = guardAgainstExit(worker);
    let stopped: Awaited<ReturnType<typeof worker.stop>>;
    try {
      const [warmup, ...measured] = dates.slice(
        index * (1 + MEASURED),
        (index + 1) * (1 + MEASURED),
      );
      await guard(runDailyRun(stack.client, config, warmup!));
      const runs: { date: string; ms: number; cpuMs: Record<string, number>; load1: number }[] = [];
      for (const date of measured) {
        const probe = await startCpuProbe({
          pids: { worker: worker.pid, temporal: stack.temporal.pid },
          postgres: { url: stack.e2e.url, database: stack.e2e.name },
        });
        const run = await guard(runDailyRun(stack.client, config, date));
        const cpu = (await probe.stop()).ms;
        if (run.summary.totals.policyDays !== POLICIES || run.summary.totals.failed > 0) {
          throw new Error(`${date}: ${JSON.stringify(run.summary.totals)}`);
        }
        runs.push({ date, ms: Math.round(run.ms), cpuMs: cpu, load1: round2(os.loadavg()[0]!) });
      }
      const ms = runs.reduce((s, r) => s + r.ms, 0);
      const policyDays = POLICIES * runs.length;
      const per1000 = (name: string) =>
        round2(runs.reduce((s, r) => s + (r.cpuMs[name] ?? 0), 0) / policyDays * 1000);
      const result = {
        ...setting,
        policyDaysPerSecond: Math.round(policyDays / ms * 1000),
        cpuMsPer1000PolicyDays: {
          worker: per1000("worker"),
          temporal: per1000("temporal"),
          postgres: per1000("postgres"),
        },
        runs,
      };
      results.push(result);
      step(
        `chunk ${setting.chunk}, batch ${setting.batch}, ${setting.inFlight} in flight: ` +
          `${result.policyDaysPerSecond} policy-days/s, CPU per 1,000 ` +
          JSON.stringify(result.cpuMsPer1000PolicyDays),
      );
    } finally {
      stopped = await worker.stop();
    }
    if (stopped.code !== 0) {
      throw new Error(`sweep worker ${index} exited with ${stopped.code ?? stopped.signal}`);
    }
  }
} finally {
  await stack.close();
}
const best = [...results].sort((a, b) => b.policyDaysPerSecond - a.policyDaysPerSecond)[0]!;
const out = {
  benchmark: "daily-run-sweep",
  description: "daily runs of the whole book through Temporal, one worker process per setting " +
    "of CLAIMS_CHUNK_SIZE, CLAIMS_BATCH_SIZE and CLAIMS_BATCH_CONCURRENCY (other settings at " +
    "their defaults), each on fresh dates after a warm-up date; the first setting again last",
  policies: POLICIES,
  measuredDatesPerSetting: MEASURED,
  fastest: { chunk: best.chunk, batch: best.batch, inFlight: best.inFlight },
  results,
  machine: describeMachine(),
  finishedAt: new Date().toISOString(),
};
fs.mkdirSync(path.dirname(flags.out!), { recursive: true });
fs.writeFileSync(flags.out!, JSON.stringify(out, null, 2) + "\n");
step(`wrote ${flags.out}; fastest: ${JSON.stringify(out.fastest)}`);
process.exit(0);
