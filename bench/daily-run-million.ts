/**
 * One daily run of a book of 1,000,000 policies (issue 13: "1,000,000 policies x 1 day once"):
 * the same stack as the daily-run benchmark (Temporal dev server, one worker process at its
 * default settings, Redis locks, fenced writes), warmed up on a small book of another year,
 * then the whole book's daily run once: its time, the worker's peak RSS (VmHWM and polled
 * VmRSS) against the 600 MB bound, how often the run continued as new, CPU per 1,000
 * policy-days, and a check that every policy-day has its ledger row.
 *
 *   node --import tsx bench/daily-run-million.ts [--policies N] [--out FILE]
 *   make bench-daily-run-million
 *
 * Results: bench/results/daily-run-million.json. Not part of the tests.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { describeMachine } from "./lib/machine.ts";
import { kbToMb, readProcMemory, sampleRss } from "./lib/proc-stats.ts";
import { withSql } from "./daily-run/phases.ts";
import { startCpuProbe } from "./daily-run/cpu.ts";
import type { PolicyGroup } from "./daily-run/data.ts";
import { dateState } from "./daily-run/checks.ts";
import { startStack } from "./daily-run/stack.ts";
import { runDailyRun } from "./daily-run/temporal-runs.ts";

const { values: flags } = parseArgs({
  options: {
    policies: { type: "string", default: "1000000" },
    seed: { type: "string", default: "bench-daily-run-1" },
    out: { type: "string", default: path.join("bench", "results", "daily-run-million.json") },
  },
});
const POLICIES = Number(flags.policies);
if (!Number.isSafeInteger(POLICIES) || POLICIES < 1) {
  throw new Error(`--policies must be a positive integer, got ${flags.policies}`);
}
const RSS_BOUND_MB = 600;
const t0 = performance.now();
const step = (message: string) =>
  console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${message}`);
const round2 = (n: number) => Math.round(n * 100) / 100;

const warmup: PolicyGroup = { prefix: "mw", size: 10_000, year: 2024, dates: ["2024-06-15"] };
const main: PolicyGroup = { prefix: "mm", size: POLICIES, year: 2025, dates: ["2025-06-15"] };
step(`daily run of ${POLICIES} policies, once`);
const stack = await startStack([warmup, main], flags.seed!, step);
let result: Record<string, unknown>;
try {
  step("warm-up: 10,000 policies of 2024");
  await stack.guard(runDailyRun(stack.client, stack.config, warmup.dates[0]!));
  const date = main.dates[0]!;
  step(`the daily run of ${date}`);
  const before = readProcMemory(stack.worker.pid);
  const sampler = sampleRss(stack.worker.pid);
  const probe = await startCpuProbe({
    pids: { worker: stack.worker.pid, temporal: stack.temporal.pid },
    postgres: { url: stack.e2e.url, database: stack.e2e.name },
  });
  const load1 = round2(os.loadavg()[0]!);
  const run = await stack.guard(runDailyRun(stack.client, stack.config, date));
  const cpu = (await probe.stop()).ms;
  const polled = sampler.stop();
  const after = readProcMemory(stack.worker.pid);
  const state = await withSql(stack.e2e.url, (sql) => dateState(sql, date));
  const { totals } = run.summary;
  if (state.ledgerRows !== POLICIES || totals.policyDays !== POLICIES || totals.failed > 0) {
    throw new Error(
      `incomplete: ${state.ledgerRows} ledger rows, totals ${JSON.stringify(totals)}`,
    );
  }
  const peakMb = kbToMb(Math.max(after?.hwmKb ?? 0, polled.peakRssKb));
  result = {
    benchmark: "daily-run-million",
    description: "one daily run of the whole book through Temporal at the worker's default " +
      "settings, after a warm-up on 10,000 policies of another year",
    policies: POLICIES,
    date,
    durationMs: Math.round(run.ms),
    policyDaysPerSecond: Math.round(POLICIES / run.ms * 1000),
    continuedAsNew: run.summary.continuedAsNew,
    cpuMsPer1000PolicyDays: Object.fromEntries(
      Object.entries(cpu).map(([name, ms]) => [name, round2(ms / POLICIES * 1000)]),
    ),
    worker: {
      peakRssMb: peakMb,
      bound: `<= ${RSS_BOUND_MB} MB`,
      withinBound: peakMb <= RSS_BOUND_MB,
      rssBeforeMb: before ? kbToMb(before.rssKb) : null,
      vmHwmAfterMb: after ? kbToMb(after.hwmKb) : null,
      peakRssPolledMb: kbToMb(polled.peakRssKb),
      samples: polled.samples,
      note: "VmHWM covers the worker's whole life (start-up and warm-up included)",
    },
    totals,
    ledgerRows: state.ledgerRows,
    load1AtStart: load1,
    settings: {
      batchSize: stack.config.worker.batchSize,
      batchConcurrency: stack.config.worker.batchConcurrency,
      chunkSize: stack.config.worker.chunkSize,
      pageSize: stack.config.worker.pageSize,
      maxConcurrentActivities: stack.config.worker.maxConcurrentActivities,
    },
    machine: describeMachine(),
    finishedAt: new Date().toISOString(),
  };
  step(
    `${result["policyDaysPerSecond"]} policy-days/s (${result["durationMs"]} ms), worker peak ` +
      `${peakMb} MB, continued as new ${run.summary.continuedAsNew} times`,
  );
} finally {
  await stack.close();
}
fs.mkdirSync(path.dirname(flags.out!), { recursive: true });
fs.writeFileSync(flags.out!, JSON.stringify(result, null, 2) + "\n");
step(`wrote ${flags.out}`);
process.exit(0);
