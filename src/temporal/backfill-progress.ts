/**
 * `claims schedule backfill --wait`: follows the daily runs a backfill started until each has
 * ended, with progress, rate and ETA. The runs are known by id before they exist: the schedule
 * names each `<schedule id>-<nominal time, RFC 3339>`, and the DST edge days run as
 * `<schedule id>-manual-<date>`. An id whose latest execution started before the backfill was
 * asked for is an earlier run of that date: it counts as not started yet.
 *
 * The count never goes backwards: each run's count is the most it ever reported (a run the
 * schedule retries after a failure starts again from zero; its earlier count stands until the
 * retry passes it), and the total is their sum.
 */
import type { Client } from "@temporalio/client";
import { incompleteFailure } from "./rerun.ts";
import {
  claimDateOfNominalTime,
  type DailyRunProgress,
  dailyRunProgressQuery,
  type DailyRunSummary,
} from "./shared.ts";

export type BackfillRunState = "pending" | "running" | "completed" | "failed";

export interface BackfillRun {
  workflowId: string;
  claimDate: string;
  state: BackfillRunState;
  /** The most policy-days this run ever reported done. */
  done: number;
  /** Why it failed (its failure's message), once it did. */
  error?: string;
}

export interface BackfillSnapshot {
  runs: BackfillRun[];
  /** Sum of the runs' counts: never decreases from one snapshot to the next. */
  done: number;
  /** Policy-days the backfill covers (policies covering each date), when known. */
  total: number | null;
  /** Policy-days per second over the last `rateWindowMs`, null until two samples. */
  rate: number | null;
  /** Seconds left at that rate, when total and rate are known. */
  etaSeconds: number | null;
  elapsedMs: number;
  finished: boolean;
}

/** The workflow id the schedule gives the run with this nominal time. */
export function scheduledWorkflowId(scheduleId: string, nominal: Date): string {
  return `${scheduleId}-${nominal.toISOString().replace(/\.\d{3}Z$/, "Z")}`;
}

/** Every run of a backfill: the schedule's (by nominal time) and the manual ones. */
export function backfillRuns(
  scheduleId: string,
  nominalTimes: readonly Date[],
  manualRuns: readonly { claimDate: string; workflowId: string }[],
): BackfillRun[] {
  return [
    ...nominalTimes.map((t) => ({
      workflowId: scheduledWorkflowId(scheduleId, t),
      claimDate: claimDateOfNominalTime(t),
      state: "pending" as const,
      done: 0,
    })),
    ...manualRuns.map((m) => ({ ...m, state: "pending" as const, done: 0 })),
  ].sort((a, b) => a.claimDate.localeCompare(b.claimDate));
}

/** A sliding window of (time, count) samples for the rate. */
export class RateWindow {
  readonly #samples: { at: number; done: number }[] = [];
  constructor(private readonly windowMs = 15_000) {}
  add(at: number, done: number): void {
    this.#samples.push({ at, done });
    while (this.#samples.length > 2 && at - this.#samples[0]!.at > this.windowMs) {
      this.#samples.shift();
    }
  }
  rate(): number | null {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (!first || !last || last.at - first.at < 500) return null;
    return (last.done - first.done) / ((last.at - first.at) / 1000);
  }
}

/** Looks at every run not yet ended once; counts only ever grow. */
export async function refreshRuns(
  client: Client,
  runs: BackfillRun[],
  requestedAt: Date,
  queryTimeoutMs = 3_000,
): Promise<void> {
  await Promise.all(runs.map(async (run) => {
    if (run.state === "completed" || run.state === "failed") return;
    const handle = client.workflow.getHandle(run.workflowId);
    let description;
    try {
      description = await handle.describe();
    } catch (error) {
      if ((error as Error).name === "WorkflowNotFoundError") return; // not started yet
      throw error;
    }
    // Started before this backfill: an earlier run of the same date, not ours (yet).
    if (description.startTime.getTime() < requestedAt.getTime() - 1_000) return;
    const status = description.status.name;
    if (status === "RUNNING" || status === "CONTINUED_AS_NEW") {
      run.state = "running";
      try {
        const p = await client.withDeadline(
          Date.now() + queryTimeoutMs,
          () => handle.query<DailyRunProgress>(dailyRunProgressQuery),
        );
        run.done = Math.max(run.done, p.totals.policyDays);
      } catch {
        // No worker answered in time: the count stays where it was.
      }
      return;
    }
    try {
      const summary = await handle.result() as DailyRunSummary;
      run.done = Math.max(run.done, summary.totals.policyDays);
      run.state = "completed";
    } catch (error) {
      const incomplete = incompleteFailure(error);
      if (incomplete) {
        const summary = incomplete.details as Partial<DailyRunSummary>;
        run.done = Math.max(run.done, summary.totals?.policyDays ?? 0);
      }
      run.state = "failed";
      run.error = incomplete?.message ?? ((error as Error).cause as Error | undefined)?.message ??
        (error as Error).message;
    }
  }));
}

export function snapshotOf(
  runs: readonly BackfillRun[],
  total: number | null,
  rate: RateWindow,
  startedAt: number,
  now: number,
): BackfillSnapshot {
  const done = runs.reduce((sum, r) => sum + r.done, 0);
  rate.add(now, done);
  const perSecond = rate.rate();
  const finished = runs.every((r) => r.state === "completed" || r.state === "failed");
  const left = total === null ? null : Math.max(0, total - done);
  return {
    runs: runs.map((r) => ({ ...r })),
    done,
    total,
    rate: perSecond,
    etaSeconds: left !== null && perSecond !== null && perSecond > 0
      ? Math.ceil(left / perSecond)
      : null,
    elapsedMs: now - startedAt,
    finished,
  };
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${seconds % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** One line: runs by state, policy-days (of the total), rate and ETA. */
export function renderBackfillLine(s: BackfillSnapshot): string {
  const by = (state: BackfillRunState) => s.runs.filter((r) => r.state === state).length;
  const parts = [
    `${by("completed")}/${s.runs.length} runs completed`,
    ...(by("running") ? [`${by("running")} running`] : []),
    ...(by("failed") ? [`${by("failed")} failed`] : []),
  ];
  const pct = s.total ? ` (${Math.min(100, Math.floor((s.done / s.total) * 100))}%)` : "";
  const days = `${count(s.done)}${s.total !== null ? `/${count(s.total)}` : ""} policy-days${pct}`;
  const rate = s.rate !== null ? `, ${count(Math.round(s.rate))}/s` : "";
  const eta = s.finished
    ? `, done in ${duration(Math.round(s.elapsedMs / 1000))}`
    : s.etaSeconds !== null
    ? `, ETA ${duration(s.etaSeconds)}`
    : "";
  return `${parts.join(", ")}; ${days}${rate}${eta}`;
}

export interface WaitOptions {
  /** When the backfill was asked for (runs started before belong to an earlier one). */
  requestedAt: Date;
  total: number | null;
  signal?: AbortSignal | undefined;
  pollMs?: number;
  onSnapshot(snapshot: BackfillSnapshot): void;
}

/** Polls until every run ended (or `signal` aborts: "interrupted"); the last snapshot. */
export async function waitForBackfill(
  client: Client,
  runs: BackfillRun[],
  options: WaitOptions,
): Promise<{ snapshot: BackfillSnapshot; interrupted: boolean }> {
  const rate = new RateWindow();
  const startedAt = Date.now();
  for (;;) {
    await refreshRuns(client, runs, options.requestedAt);
    const snapshot = snapshotOf(runs, options.total, rate, startedAt, Date.now());
    options.onSnapshot(snapshot);
    if (snapshot.finished) return { snapshot, interrupted: false };
    const aborted = await new Promise<boolean>((resolve) => {
      if (options.signal?.aborted) return resolve(true);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        options.signal?.removeEventListener("abort", onAbort);
        resolve(false);
      }, options.pollMs ?? 1_000);
      options.signal?.addEventListener("abort", onAbort, { once: true });
    });
    if (aborted) return { snapshot, interrupted: true };
  }
}

/**
 * Writes snapshots for a person: on a terminal, one line redrawn in place; otherwise plain
 * lines, one when the count or a run's state changed and at most every `everyMs` (and always the
 * last), so a log or CI output stays readable.
 */
export function backfillPrinter(
  out: { write(text: string): unknown; isTTY?: boolean | undefined },
  everyMs = 5_000,
): { print(s: BackfillSnapshot): void; end(): void } {
  let lastLine = "";
  let lastKey = "";
  let lastAt = 0;
  let drawn = false;
  return {
    print(s) {
      const line = renderBackfillLine(s);
      if (out.isTTY) {
        if (line !== lastLine) out.write(`\r${line}\x1b[K`);
        drawn = true;
        lastLine = line;
        return;
      }
      const key = `${s.done}:${s.runs.map((r) => r.state).join(",")}`;
      const now = Date.now();
      if (s.finished || (key !== lastKey && now - lastAt >= everyMs) || lastAt === 0) {
        out.write(`${line}\n`);
        lastKey = key;
        lastAt = now;
      }
      lastLine = line;
    },
    end() {
      if (drawn) out.write("\n");
    },
  };
}
