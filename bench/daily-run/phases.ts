/**
 * The measurements, each checked against the database before its number counts.
 *
 *   main     the raw floor, the core floor and the daily run on the same dates of identical
 *            copies of the book, ordered raw, core, run, run, core, raw over two dates (ABBA
 *            with three sides) so that a drift of the shared machine's load hits all alike;
 *            worker memory polled throughout; CPU by process;
 *   naive    one policy-day workflow per policy of the sample;
 *   scaling  one-day runs of 1% and 10% of the book (median of repeats), then 7 and 30 dates
 *            of the 10% book, each date its own daily run, one after the other.
 */
import os from "node:os";
import type { Totals } from "../../src/calc/totals.ts";
import { connectSql, type Sql } from "../../src/store/connection.ts";
import { kbToMb, readProcMemory, sampleRss } from "../lib/proc-stats.ts";
import { type DateState, dateState, expectComplete, expectSameState } from "./checks.ts";
import { type CpuUse, startCpuProbe } from "./cpu.ts";
import {
  type BenchGroups,
  DAY_RUNS,
  groupPolicies,
  ONE_DAY_REPEATS,
  type PolicyGroup,
} from "./data.ts";
import { checkpoint } from "./load.ts";
import type { ScalingPoint } from "./scaling.ts";
import type { Stack } from "./stack.ts";
import { type NaiveMeasurement, runDailyRun, runNaive } from "./temporal-runs.ts";
import { median } from "../lib/median.ts";

export const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);
const round2 = (n: number) => Math.round(n * 100) / 100;
const load = () => os.loadavg().map(round2);

export async function withSql<T>(url: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = connectSql(url, { max: 1, applicationName: "bench-daily-run-check" });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export interface TimedRun {
  date: string;
  ms: number;
  totals: Totals;
  /** 1-minute load average when it started. */
  load1: number;
  cpuMs: Record<string, number>;
  continuedAsNew?: number;
}

export interface MainMeasurement {
  rawFloorRuns: TimedRun[];
  coreFloorRuns: TimedRun[];
  runs: TimedRun[];
  /** The daily run's stored state per date (the floors' equal it, or the measurement fails). */
  states: DateState[];
  rawFloorStates: DateState[];
  memory: {
    rssBeforeMb: number;
    peakRssPolledMb: number;
    samples: number;
    vmHwmAfterMb: number;
  };
}

type Kind = "raw" | "core" | "run";

const LABELS: Record<Kind, string> = {
  raw: "raw floor ",
  core: "core floor",
  run: "daily run ",
};

async function measured(stack: Stack, kind: Kind, date: string): Promise<TimedRun> {
  const db = kind === "raw" ? stack.rawFloorDb : kind === "core" ? stack.coreFloorDb : stack.e2e;
  await checkpoint(db.url);
  const load1 = load()[0]!;
  const postgres = { url: db.url, database: db.name };
  const probe = await startCpuProbe(
    kind === "run"
      ? {
        pids: { worker: stack.worker.pid, temporal: stack.temporal.pid },
        postgres,
        temporalPostgres: stack.temporalPostgres,
      }
      : { pids: {}, self: `bench (${kind} floor)`, postgres },
  );
  let ms: number;
  let totals: Totals;
  let continuedAsNew: number | undefined;
  if (kind !== "run") {
    ({ ms, totals } = await (kind === "raw" ? stack.rawFloor : stack.coreFloor).run(date));
  } else {
    const run = await stack.guard(runDailyRun(stack.client, stack.config, date));
    ({ ms } = run);
    totals = run.summary.totals;
    continuedAsNew = run.summary.continuedAsNew;
  }
  const cpu: CpuUse = await probe.stop();
  return {
    date,
    ms,
    totals,
    load1,
    cpuMs: cpu.ms,
    ...(continuedAsNew === undefined ? {} : { continuedAsNew }),
  };
}

/**
 * One date's stored state on one side, checked complete: every policy-day in the ledger with
 * a positive fencing token, the day's claims under their day's token.
 */
async function checkedState(what: string, url: string, date: string, size: number, run: TimedRun) {
  const state = await withSql(url, (sql) => dateState(sql, date));
  expectComplete(`${what} ${date}`, state, size, run.totals);
  if (state.fenceMismatches > 0) {
    throw new Error(`${what} ${date}: ${state.fenceMismatches} ledger or claim fencing tokens off`);
  }
  return state;
}

export async function measureMain(
  stack: Stack,
  group: PolicyGroup,
  settle: () => Promise<void>,
  step: (message: string) => void,
): Promise<MainMeasurement> {
  const [first, second] = group.dates as [string, string];
  const before = readProcMemory(stack.worker.pid);
  const sampler = sampleRss(stack.worker.pid);
  const order: [Kind, string][] = [
    ["raw", first],
    ["core", first],
    ["run", first],
    ["run", second],
    ["core", second],
    ["raw", second],
  ];
  const runs: Record<Kind, TimedRun[]> = { raw: [], core: [], run: [] };
  for (const [kind, date] of order) {
    await settle();
    const r = await measured(stack, kind, date);
    runs[kind].push(r);
    step(
      `  ${LABELS[kind]} ${date}: ${rate(group.size, r.ms)} policy-days/s ` +
        `(${Math.round(r.ms)} ms, load ${r.load1})`,
    );
  }
  const polled = sampler.stop();
  const after = readProcMemory(stack.worker.pid);
  const states: DateState[] = [];
  const rawFloorStates: DateState[] = [];
  for (const date of [first, second]) {
    const of = (kind: Kind) => runs[kind].find((r) => r.date === date)!;
    const runState = await checkedState("daily run", stack.e2e.url, date, group.size, of("run"));
    const coreState = await checkedState(
      "core floor",
      stack.coreFloorDb.url,
      date,
      group.size,
      of("core"),
    );
    const rawState = await checkedState(
      "raw floor",
      stack.rawFloorDb.url,
      date,
      group.size,
      of("raw"),
    );
    expectSameState(`the daily run and the core floor on ${date}`, runState, coreState);
    expectSameState(`the daily run and the raw floor on ${date}`, runState, rawState);
    states.push(runState);
    rawFloorStates.push(rawState);
  }
  return {
    rawFloorRuns: runs.raw,
    coreFloorRuns: runs.core,
    runs: runs.run,
    states,
    rawFloorStates,
    memory: {
      rssBeforeMb: kbToMb(before?.rssKb ?? 0),
      peakRssPolledMb: kbToMb(polled.peakRssKb),
      samples: polled.samples,
      vmHwmAfterMb: kbToMb(after?.hwmKb ?? 0),
    },
  };
}

export async function measureNaive(
  stack: Stack,
  group: PolicyGroup,
  seed: string,
  startConcurrency: number,
): Promise<NaiveMeasurement & { load1: number }> {
  const date = group.dates[0]!;
  await checkpoint(stack.e2e.url);
  const load1 = load()[0]!;
  const ids = [...groupPolicies(group, seed)].map((p) => p.id);
  const naive = await stack.guard(
    runNaive(stack.client, stack.config, ids, date, startConcurrency),
  );
  const state = await withSql(stack.e2e.url, (sql) => dateState(sql, date));
  if (state.ledgerRows !== group.size || (naive.statuses["computed"] ?? 0) !== group.size) {
    throw new Error(
      `naive: ${state.ledgerRows} ledger rows for ${group.size} policy-days, workflow ` +
        `statuses ${JSON.stringify(naive.statuses)}`,
    );
  }
  return { ...naive, load1 };
}

/** Daily runs of `dates` one after the other, each checked: their times, CPU and load. */
async function dailyRuns(stack: Stack, group: PolicyGroup, dates: readonly string[]) {
  await checkpoint(stack.e2e.url);
  const load1 = load()[0]!;
  const probe = await startCpuProbe({
    pids: { worker: stack.worker.pid, temporal: stack.temporal.pid },
    postgres: { url: stack.e2e.url, database: stack.e2e.name },
  });
  const times: number[] = [];
  for (const date of dates) {
    const run = await stack.guard(runDailyRun(stack.client, stack.config, date));
    times.push(run.ms);
    // Not timed, but inside the CPU interval: one count over the ledger, a few ms.
    const state = await withSql(stack.e2e.url, (sql) => dateState(sql, date));
    expectComplete(`daily run ${date}`, state, group.size, run.summary.totals);
  }
  const cpu = await probe.stop();
  return { times, load1, cpuMs: sumOf(Object.values(cpu.ms)) };
}

const sumOf = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/**
 * The scaling points. `settle` runs before each block of runs (the benchmark waits there for
 * a low load when asked to). One-day points take the median of their repeats; CPU (worker +
 * Temporal server + PostgreSQL backends) is per policy-day over all of a point's runs.
 */
export async function measureScaling(
  stack: Stack,
  groups: BenchGroups,
  main: readonly TimedRun[],
  settle: () => Promise<void>,
  step: (message: string) => void,
): Promise<ScalingPoint[]> {
  const points: ScalingPoint[] = [];
  const point = (
    curve: ScalingPoint["curve"],
    group: PolicyGroup,
    days: number,
    ms: number,
    block: { times: readonly number[]; load1: number; cpuMs: number },
  ) => {
    const policyDays = group.size * days;
    const cpuPolicyDays = group.size * (days === 1 ? block.times.length : days);
    points.push({
      curve,
      policies: group.size,
      days,
      policyDays,
      ms: Math.round(ms),
      policyDaysPerSecond: rate(policyDays, ms),
      cpuMsPer1000PolicyDays: Math.round((block.cpuMs / cpuPolicyDays) * 1000),
      runsMs: block.times.map(Math.round),
      load1AtStart: block.load1,
    });
    step(
      `  ${group.size} policies x ${days} d: ${Math.round(ms)} ms, ${rate(policyDays, ms)}/s ` +
        `(load ${block.load1})`,
    );
  };
  await settle();
  const small = await dailyRuns(stack, groups.small, groups.small.dates);
  point("policies", groups.small, 1, median(small.times), small);
  await settle();
  const oneDay = await dailyRuns(stack, groups.days, groups.days.dates.slice(0, ONE_DAY_REPEATS));
  point("policies", groups.days, 1, median(oneDay.times), oneDay);
  point("days", groups.days, 1, median(oneDay.times), oneDay);
  let offset = ONE_DAY_REPEATS;
  for (const days of DAY_RUNS) {
    await settle();
    const block = await dailyRuns(
      stack,
      groups.days,
      groups.days.dates.slice(offset, offset + days),
    );
    offset += days;
    point("days", groups.days, days, sumOf(block.times), block);
  }
  point("policies", groups.main, 1, median(main.map((r) => r.ms)), {
    times: main.map((r) => r.ms),
    load1: main[0]!.load1,
    cpuMs: sumOf(main.flatMap((r) => Object.values(r.cpuMs))),
  });
  return points;
}
