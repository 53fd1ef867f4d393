/** A one-line progress bar for a rerun on a terminal, from its `progress` query. */
import type { RerunProgress } from "./shared.ts";

export function progressFraction(p: RerunProgress): number {
  if (p.policyDaysTotal !== null && p.policyDaysTotal > 0) {
    return Math.min(1, p.policyDaysDone / p.policyDaysTotal);
  }
  return p.dates > 0 ? Math.min(1, p.datesDone / p.dates) : 0;
}

export function renderProgressLine(p: RerunProgress, width = 80): string {
  const fraction = progressFraction(p);
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const detail = ` ${pct} ${p.datesDone}/${p.dates} dates` +
    (p.currentDate ? ` (at ${p.currentDate})` : "") +
    ` ${p.policyDaysDone}` + (p.policyDaysTotal !== null ? `/${p.policyDaysTotal}` : "") +
    " policy-days" +
    (p.totals.failed + p.totals.contended > 0
      ? `, ${p.totals.failed + p.totals.contended} not computed`
      : "");
  const barWidth = Math.max(10, Math.min(40, width - detail.length - 3));
  const filled = Math.round(fraction * barWidth);
  return `[${"#".repeat(filled)}${".".repeat(barWidth - filled)}]${detail}`;
}
