/**
 * What a run is and which claim dates it covers, from its search attributes and memo, or, for
 * runs started before they were set, from its workflow type and id (which carry the same facts:
 * `claims-rerun:<from>:<to>:…`, `claims-recalc:<date>:…`, `claim-calc:<policy>:<date>`,
 * `<schedule>-manual-<date>`, `<schedule>-<nominal time>`). Pure.
 */
import { addDays, isValidDate } from "../domain/calendar.ts";
import { RUN_KINDS, type RunKind } from "./search-attributes.ts";
import { claimDateOfNominalTime, WorkflowTypes } from "./shared.ts";

export interface RunFacts {
  type: string;
  workflowId: string;
  /** RunKind, when set. */
  kind?: string | undefined;
  /** ClaimDate, when set. */
  claimDate?: string | undefined;
  /** The memo's claimDateTo, when set. */
  claimDateTo?: string | undefined;
}

export function runKindOf(run: RunFacts): RunKind {
  if (run.kind && (RUN_KINDS as readonly string[]).includes(run.kind)) return run.kind as RunKind;
  if (run.type === WorkflowTypes.dailyRun) {
    return run.workflowId.includes("-manual-") ? "backfill" : "daily";
  }
  if (run.type === WorkflowTypes.rerun) {
    return run.workflowId.startsWith("claims-recalc:") ? "recalculate" : "rerun";
  }
  return "recalculate";
}

const NOMINAL_SUFFIX = /-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)$/;

/** The first and last claim date of a run; null when nothing tells. */
export function claimDatesOf(run: RunFacts): { from: string; to: string } | null {
  if (run.claimDate && isValidDate(run.claimDate)) {
    const to = run.claimDateTo && isValidDate(run.claimDateTo) ? run.claimDateTo : run.claimDate;
    return { from: run.claimDate, to };
  }
  const parts = run.workflowId.split(":");
  if (
    run.workflowId.startsWith("claims-rerun:") && isValidDate(parts[1] ?? "") &&
    isValidDate(parts[2] ?? "")
  ) {
    return { from: parts[1]!, to: parts[2]! };
  }
  if (run.workflowId.startsWith("claims-recalc:") && isValidDate(parts[1] ?? "")) {
    return { from: parts[1]!, to: parts[1]! };
  }
  if (run.workflowId.startsWith("claim-calc:") && isValidDate(parts.at(-1) ?? "")) {
    return { from: parts.at(-1)!, to: parts.at(-1)! };
  }
  const manual = /-manual-(\d{4}-\d{2}-\d{2})$/.exec(run.workflowId);
  if (manual && isValidDate(manual[1]!)) return { from: manual[1]!, to: manual[1]! };
  const nominal = NOMINAL_SUFFIX.exec(run.workflowId);
  if (nominal) {
    const date = claimDateOfNominalTime(new Date(nominal[1]!));
    return { from: date, to: date };
  }
  return null;
}

/** "2025-06-01" or "2025-06-01..2025-06-14". */
export function formatDates(dates: { from: string; to: string } | null): string {
  if (!dates) return "-";
  return dates.from === dates.to ? dates.from : `${dates.from}..${dates.to}`;
}

/** True when `date` lies in the run's claim dates. */
export function coversDate(dates: { from: string; to: string } | null, date: string): boolean {
  return dates !== null && dates.from <= date && date <= dates.to;
}

/** 00:00 UTC of a claim date in Unix seconds (the run gauges' unit). */
export function claimDateSeconds(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000;
}

/** `date` minus `days` (for visibility windows). */
export function daysBefore(date: string, days: number): string {
  return addDays(date, -days);
}
