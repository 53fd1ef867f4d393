/**
 * What a set of timed runs comes to in the result file: their policy-days per second taken
 * together (total policy-days over total time, not a mean of rates), CPU ms per 1,000
 * policy-days by process, each run, and the summed totals. One function for the floor, the
 * Node worker's daily runs and those of a worker on another runtime, so they compare alike.
 */
import { addTotals, emptyTotals } from "../../src/calc/totals.ts";
import { rate, type TimedRun } from "./phases.ts";

export const round2 = (n: number) => Math.round(n * 100) / 100;
export const sumOf = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

export function aggregate(runs: readonly TimedRun[], policiesPerRun: number) {
  const ms = runs.reduce((s, r) => s + r.ms, 0);
  const policyDays = policiesPerRun * runs.length;
  const cpu: Record<string, number> = {};
  for (const r of runs) {
    for (const [name, used] of Object.entries(r.cpuMs)) cpu[name] = (cpu[name] ?? 0) + used;
  }
  return {
    policyDaysPerSecond: rate(policyDays, ms),
    cpuMsPer1000PolicyDays: Object.fromEntries(
      Object.entries(cpu).map(([name, used]) => [name, round2((used / policyDays) * 1000)]),
    ),
    runs: runs.map((r) => ({
      date: r.date,
      durationMs: Math.round(r.ms),
      policyDaysPerSecond: rate(policiesPerRun, r.ms),
      load1AtStart: r.load1,
      cpuMs: r.cpuMs,
      ...(r.continuedAsNew === undefined ? {} : { continuedAsNew: r.continuedAsNew }),
    })),
    totals: runs.reduce((t, r) => addTotals(t, r.totals), emptyTotals()),
  };
}

export type Aggregate = ReturnType<typeof aggregate>;

/** CPU ms per 1,000 policy-days of all measured processes together. */
export const cpuPer1000 = (x: Aggregate) => sumOf(Object.values(x.cpuMsPer1000PolicyDays));
