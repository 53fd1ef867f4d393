/**
 * The scaling curve: wall time of daily runs against the policy-days they computed, along two
 * axes (more policies for one day; more days for one book), a least-squares line through all
 * points, and the chart of it. Linear means: the time is a fixed cost plus a constant cost per
 * policy-day, so the throughput of the large points stays where the smaller ones had it.
 */
import { type LinearFit, linearFit } from "../lib/linear-fit.ts";
import { compactNumber, renderChart, type Series } from "../lib/svg-chart.ts";

export interface ScalingPoint {
  curve: "policies" | "days";
  policies: number;
  days: number;
  policyDays: number;
  /** The point's time: the sum of its dates' runs (median of repeats for one day). */
  ms: number;
  policyDaysPerSecond: number;
  /** CPU of the worker, the Temporal server and the PostgreSQL backends, per 1,000. */
  cpuMsPer1000PolicyDays: number;
  /** Every daily run behind the point, ms. */
  runsMs: number[];
  /** 1-minute load average when the point's runs started (the machine is shared). */
  load1AtStart: number;
}

export interface ScalingVerdict {
  fit: { interceptMs: number; msPerThousandPolicyDays: number; r2: number };
  /** Throughput of the largest point over that of the 10% one-day point. */
  largestToTenthThroughput: number;
  /**
   * CPU per policy-day of the largest point over that of the 10% one-day point: the same
   * question asked of CPU time, which other suites on the machine disturb far less than
   * wall time.
   */
  largestToTenthCpuPerPolicyDay: number;
  target: string;
  /** The target, judged on wall time. */
  linear: boolean;
  /** The CPU cost per policy-day of the largest point is at most 1.25x the reference's. */
  linearInCpu: boolean;
}

/** Targets of linearity: the line explains the points, and big runs keep their throughput. */
const MIN_R2 = 0.98;
const MIN_THROUGHPUT_KEPT = 0.8;
const MAX_CPU_GROWTH = 1.25;

export function scalingVerdict(points: readonly ScalingPoint[]): ScalingVerdict {
  const fit: LinearFit = linearFit(points.map((p) => ({ x: p.policyDays, y: p.ms })));
  const largest = points.reduce((a, b) => (b.policyDays > a.policyDays ? b : a));
  // The 10% one-day point: past the fixed cost of a run, the reference rate.
  const oneDay = points.filter((p) => p.curve === "policies").sort((a, b) =>
    a.policies - b.policies
  );
  const reference = oneDay.at(-2) ?? largest;
  const kept = largest.policyDaysPerSecond / reference.policyDaysPerSecond;
  const cpuGrowth = largest.cpuMsPer1000PolicyDays / reference.cpuMsPer1000PolicyDays;
  const round2 = (n: number) => Math.round(n * 100) / 100;
  return {
    fit: {
      interceptMs: Math.round(fit.intercept),
      msPerThousandPolicyDays: round2(fit.slope * 1000),
      r2: Math.round(fit.r2 * 10_000) / 10_000,
    },
    largestToTenthThroughput: round2(kept),
    largestToTenthCpuPerPolicyDay: round2(cpuGrowth),
    target: `a line fits the times (R² >= ${MIN_R2}) and the largest run keeps >= ` +
      `${MIN_THROUGHPUT_KEPT}x the throughput of the 10% one-day run`,
    linear: fit.r2 >= MIN_R2 && kept >= MIN_THROUGHPUT_KEPT,
    linearInCpu: cpuGrowth <= MAX_CPU_GROWTH,
  };
}

export function scalingChart(
  points: readonly ScalingPoint[],
  verdict: ScalingVerdict,
  reference: {
    coreFloorPolicyDaysPerSecond: number;
    rawFloorPolicyDaysPerSecond: number;
    subtitle: string;
  },
): string {
  const curve = (name: ScalingPoint["curve"]) =>
    points.filter((p) => p.curve === name).sort((a, b) => a.policyDays - b.policyDays);
  const label = (p: ScalingPoint) =>
    p.curve === "policies"
      ? `${compactNumber(p.policies)} x 1 d`
      : `${compactNumber(p.policies)} x ${p.days} d`;
  const byPolicies = curve("policies");
  const byDays = curve("days");
  const maxX = Math.max(...points.map((p) => p.policyDays));
  const timeSeries: Series[] = [
    {
      name: "more policies, 1 day",
      color: "#1f77b4",
      points: byPolicies.map((p) => ({ x: p.policyDays, y: p.ms / 1000, label: label(p) })),
    },
    {
      name: "more days, same book",
      color: "#d62728",
      points: byDays.map((p) => ({ x: p.policyDays, y: p.ms / 1000, label: label(p) })),
    },
    {
      name: `fit: ${verdict.fit.msPerThousandPolicyDays} ms / 1k, R² ${verdict.fit.r2}`,
      color: "#666",
      dashed: true,
      markers: false,
      points: [0, maxX].map((x) => ({
        x,
        y: Math.max(0, verdict.fit.interceptMs + (verdict.fit.msPerThousandPolicyDays * x) / 1000) /
          1000,
      })),
    },
  ];
  const rateSeries: Series[] = [
    {
      name: "more policies",
      color: "#1f77b4",
      points: byPolicies.map((p) => ({ x: p.policyDays, y: p.policyDaysPerSecond })),
    },
    {
      name: "more days",
      color: "#d62728",
      points: byDays.map((p) => ({ x: p.policyDays, y: p.policyDaysPerSecond })),
    },
    ...([
      ["core floor (product core, no Temporal)", "#2ca02c", reference.coreFloorPolicyDaysPerSecond],
      ["raw floor (same work, raw SQL)", "#9467bd", reference.rawFloorPolicyDaysPerSecond],
    ] as const).map(([name, color, y]) => ({
      name,
      color,
      dashed: true,
      markers: false,
      points: [Math.min(...points.map((p) => p.policyDays)), maxX].map((x) => ({ x, y })),
    })),
  ];
  const rateMax = Math.max(
    reference.coreFloorPolicyDaysPerSecond,
    reference.rawFloorPolicyDaysPerSecond,
    ...points.map((p) => p.policyDaysPerSecond),
  );
  return renderChart({
    title: "Daily run through Temporal: cost against policy-days",
    subtitle: reference.subtitle,
    panels: [
      {
        title: "wall time",
        xLabel: "policy-days computed",
        yLabel: "seconds",
        series: timeSeries,
      },
      {
        title: "throughput",
        xLabel: "policy-days computed (log scale)",
        yLabel: "policy-days per second",
        xLog: true,
        legend: "bottom-right",
        yRange: [0, Math.ceil((rateMax * 1.15) / 500) * 500],
        series: rateSeries,
      },
    ],
  });
}
