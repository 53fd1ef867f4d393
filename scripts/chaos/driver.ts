/**
 * What the run asks of the system, the way production does: a daily run per claim date
 * (started with the client of src/temporal/ and an explicit date), reruns over overlapping
 * ranges through the `rerun` command, late events through `events import --recalculate`; then
 * it waits until every workflow has closed, whatever happened to Temporal meanwhile.
 */
import path from "node:path";
import type { Client } from "@temporalio/client";
import type { Config } from "../../src/config.ts";
import { startDailyRun } from "../../src/temporal/schedule.ts";
import type { DailyRunSummary, RerunSummary, Totals } from "../../src/temporal/shared.ts";
import { startRerun } from "../../src/temporal/rerun.ts";
import { claims, EXIT_UNAVAILABLE, jsonOutput } from "./cli.ts";
import type { Random } from "../../src/seed/random.ts";
import type { RerunPlan } from "./profiles.ts";
import { retrying, sleep, type Timeline } from "./timeline.ts";
import type { Workload } from "./workload.ts";

/** A Temporal call that may meet a restarting server: retried for up to two minutes. */
export function temporalCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  return retrying(what, fn, { timeoutMs: 120_000, pauseMs: 1_000 });
}

export interface StartedWorkflow {
  kind: "daily-run" | "rerun";
  workflowId: string;
  label: string;
  startedAt: string;
}

export interface LateImport {
  file: string;
  at: string;
  rows: number;
  affected: number;
  recalculation: { started: number; attached: number } | null;
  /** Set when the events were committed but the recalculation could not be started. */
  fallbackRerun: string | null;
}

export class Driver {
  readonly started: StartedWorkflow[] = [];
  readonly imports: LateImport[] = [];

  constructor(
    private readonly client: Client,
    private readonly config: Config,
    private readonly env: Record<string, string>,
    private readonly workload: Workload,
    private readonly timeline: Timeline,
    /** Above this many affected days the import names a batched rerun instead (its flag). */
    private readonly maxRecalculate: number,
  ) {}

  async startDailyRuns(): Promise<void> {
    await Promise.all(this.workload.dates.map(async (date) => {
      const { workflowId } = await temporalCall(
        `start the daily run of ${date}`,
        () => startDailyRun(this.client, this.config, date),
      );
      this.started.push({
        kind: "daily-run",
        workflowId,
        label: `daily run ${date}`,
        startedAt: new Date().toISOString(),
      });
    }));
    this.timeline.log(`daily runs started for ${this.workload.dates.join(", ")}`);
  }

  /** A rerun through the client of src/temporal/ (the `rerun` command's own code path). */
  async startRerun(plan: RerunPlan, labelPrefix = ""): Promise<void> {
    const from = this.workload.dates[plan.fromDay]!;
    const to = this.workload.dates[plan.toDay]!;
    const policyIds = plan.everyNthPolicy === null
      ? null
      : this.workload.policyIds.filter((_, i) => i % plan.everyNthPolicy! === 0);
    const started = await temporalCall(
      `start the rerun ${from}..${to}`,
      () => startRerun(this.client, this.config, { from, to, policyIds }),
    );
    const label = `${labelPrefix}rerun ${
      policyIds === null ? "all" : `${policyIds.length} policies`
    } ${from}..${to}`;
    this.started.push({
      kind: "rerun",
      workflowId: started.workflowId,
      label,
      startedAt: new Date().toISOString(),
    });
    this.timeline.log(
      `${label}: ${started.attached ? "attached to" : "started"} ${started.workflowId}`,
    );
  }

  /**
   * Until `done` settles, keeps at least `min` of this run's daily runs and reruns open by
   * starting reruns over random overlapping ranges (all policies, or every n-th): on a fast
   * machine the planned work could otherwise end before the last fault, which would then hit
   * idle workers and prove nothing.
   */
  async keepBusy(done: Promise<unknown>, random: Random, min: number): Promise<number> {
    let finished = false;
    // Both ways: a rejected `done` must end the loop, and must not become an unhandled
    // rejection here (the caller handles it).
    done.then(() => (finished = true), () => (finished = true));
    const closed = new Set<string>();
    let fillers = 0;
    while (!finished) {
      let open = 0;
      for (const w of this.started) {
        if (closed.has(w.workflowId)) continue;
        const status = await temporalCall(
          `describe ${w.workflowId}`,
          async () => (await this.client.workflow.getHandle(w.workflowId).describe()).status.name,
        );
        if (status === "RUNNING") open++;
        else closed.add(w.workflowId);
      }
      if (open < min && !finished) {
        const days = this.workload.dates.length;
        const fromDay = random.int(0, days - 1);
        const toDay = Math.min(days - 1, fromDay + random.int(0, 2));
        const everyNthPolicy = random.chance(1, 3) ? random.int(2, 4) : null;
        await this.startRerun({ fromDay, toDay, everyNthPolicy }, "filler ");
        fillers++;
      }
      await Promise.race([sleep(2_000), done.catch(() => undefined)]);
    }
    return fillers;
  }

  /**
   * A rerun that starts after now: attaching to an open rerun of the same range would not do,
   * as it may be past the dates whose events just changed. So an open one is waited for, and
   * the same start then runs the range again.
   */
  async startFreshRerun(from: string, to: string): Promise<void> {
    for (;;) {
      const started = await temporalCall(
        `start the rerun ${from}..${to}`,
        () => startRerun(this.client, this.config, { from, to, policyIds: null }),
      );
      if (!started.attached) {
        this.started.push({
          kind: "rerun",
          workflowId: started.workflowId,
          label: `rerun all ${from}..${to} (late events)`,
          startedAt: new Date().toISOString(),
        });
        this.timeline.log(`rerun all ${from}..${to} (late events): started ${started.workflowId}`);
        return;
      }
      this.timeline.log(`rerun ${started.workflowId} is open; waiting for it to start it again`);
      const handle = this.client.workflow.getHandle(started.workflowId);
      await temporalCall(`wait for ${started.workflowId}`, () => handle.result().catch(() => null));
    }
  }

  /**
   * `events import FILE --recalculate`. Exit 3 before anything was written: run it again. When
   * the events were committed but starting their recalculation failed, the command names the
   * rerun that recomputes them; the run does exactly what it says, as an operator would.
   */
  async importLate(file: string): Promise<void> {
    const name = path.basename(file);
    for (let attempt = 1;; attempt++) {
      const result = await claims(
        [
          "events",
          "import",
          file,
          "--recalculate",
          "--max-recalculate",
          String(this.maxRecalculate),
          "--json",
        ],
        this.env,
      );
      const out = jsonOutput<{
        rows: number;
        affected: unknown[];
        recalculation: { started: number; attached: number } | null;
      }>(result.stdout);
      if (result.code === 0 && out) {
        this.imports.push({
          file: name,
          at: new Date().toISOString(),
          rows: out.rows,
          affected: out.affected.length,
          recalculation: out.recalculation,
          fallbackRerun: null,
        });
        this.timeline.log(
          `late events ${name}: ${out.rows} rows, ${out.affected.length} ` +
            `policy-days affected, recalculation ${JSON.stringify(out.recalculation)}`,
        );
        return;
      }
      const hint = /claims rerun --all --from (\S+) --to (\S+?)[`\s]/.exec(result.stderr);
      if (/the events were imported/.test(result.stderr) && hint) {
        this.timeline.log(
          `late events ${name}: imported, recalculation not started (exit ${result.code}); ` +
            `running the rerun it names (${hint[1]}..${hint[2]})`,
        );
        await this.startFreshRerun(hint[1]!, hint[2]!);
        this.imports.push({
          file: name,
          at: new Date().toISOString(),
          rows: out?.rows ?? 0,
          affected: out?.affected.length ?? 0,
          recalculation: null,
          fallbackRerun: `${hint[1]}..${hint[2]}`,
        });
        return;
      }
      if (result.code !== EXIT_UNAVAILABLE || attempt >= 30) {
        throw new Error(`events import ${file} failed (exit ${result.code}): ${result.stderr}`);
      }
      this.timeline.log(`late events ${name}: Temporal unreachable, nothing imported; again`);
      await sleep(2_000);
    }
  }

  /** Resolves once no workflow runs (twice in a row, a second apart): visibility lags a little. */
  async waitForAllClosed(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    let lastShown = -1;
    let shownAt = 0;
    while (quiet < 2) {
      if (Date.now() > deadline) {
        throw new Error(`workflows still running after ${Math.round(timeoutMs / 1000)} s`);
      }
      const running = await temporalCall(
        "count running workflows",
        async () => (await this.client.workflow.count("ExecutionStatus = 'Running'")).count,
      );
      if (running !== lastShown && (running === 0 || Date.now() - shownAt >= 10_000)) {
        this.timeline.log(`${running} workflow(s) running`);
        lastShown = running;
        shownAt = Date.now();
      }
      quiet = running === 0 ? quiet + 1 : 0;
      await sleep(1_000);
    }
    // Every run this harness started must be closed too (not only what visibility lists).
    for (const w of this.started) {
      const status = await temporalCall(
        `describe ${w.workflowId}`,
        async () => (await this.client.workflow.getHandle(w.workflowId).describe()).status.name,
      );
      if (status === "RUNNING") {
        return this.waitForAllClosed(Math.max(1_000, deadline - Date.now()));
      }
    }
  }

  /** The summaries of the daily runs and reruns (failed ones as their error message). */
  async outcomes(): Promise<WorkflowOutcome[]> {
    const out: WorkflowOutcome[] = [];
    for (const w of this.started) {
      const handle = this.client.workflow.getHandle(w.workflowId);
      try {
        const summary = await temporalCall(`result of ${w.workflowId}`, async () => {
          try {
            return {
              ok: true as const,
              value: await handle.result() as DailyRunSummary | RerunSummary,
            };
          } catch (error) {
            if ((error as Error).name === "WorkflowFailedError") {
              return { ok: false as const, error: error as Error };
            }
            throw error;
          }
        });
        if (summary.ok) {
          out.push({
            ...w,
            status: "COMPLETED",
            totals: summary.value.totals,
            problems: summary.value.problems.length,
            error: null,
          });
        } else {
          const cause = (summary.error.cause as Error | undefined)?.message ??
            summary.error.message;
          out.push({ ...w, status: "FAILED", totals: null, problems: 0, error: cause });
        }
      } catch (error) {
        out.push({
          ...w,
          status: "UNKNOWN",
          totals: null,
          problems: 0,
          error: (error as Error).message,
        });
      }
    }
    return out;
  }
}

export interface WorkflowOutcome extends StartedWorkflow {
  status: "COMPLETED" | "FAILED" | "UNKNOWN";
  totals: Totals | null;
  problems: number;
  error: string | null;
}
