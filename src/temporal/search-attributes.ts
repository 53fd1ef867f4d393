/**
 * The custom search attributes of the claims runs, so that runs can be listed and filtered in
 * Temporal's visibility (`claims runs`, the UI, `temporal workflow list --query …`):
 *
 *   ClaimDate (Keyword, YYYY-MM-DD)  the claim date of a daily run or policy-day; the FIRST
 *                                    claim date of a rerun or batched recalculation (its last
 *                                    is in the memo `claimDateTo`)
 *   RunKind   (Keyword)              daily | backfill | rerun | recalculate
 *
 * Who sets them: clients at start (reruns, recalculations, manual daily runs), the schedule's
 * action (RunKind=daily), and the daily run itself for its ClaimDate, which only its nominal
 * time tells (an upsert behind the patch RUN_SEARCH_ATTRIBUTES). A scheduled run that started
 * later after its nominal time than the schedule's catch-up window allows can only be a backfill
 * (the schedule drops catch-ups older than that): it sets RunKind=backfill. Manual daily runs
 * the backfill command starts (DST edge days) are started with RunKind=backfill.
 *
 * They must exist in the namespace: the dev server registers them at start
 * (scripts/lib/temporal-dev-server.ts); on a cluster, `temporal operator search-attribute
 * create --namespace NS --name ClaimDate --type Keyword --name RunKind --type Keyword`.
 *
 * Imported by workflow code: deterministic, no Node built-ins.
 */
import { defineSearchAttributeKey } from "@temporalio/common";

export const CLAIM_DATE = defineSearchAttributeKey("ClaimDate", "KEYWORD");
export const RUN_KIND = defineSearchAttributeKey("RunKind", "KEYWORD");

export const SEARCH_ATTRIBUTE_NAMES = [CLAIM_DATE.name, RUN_KIND.name] as const;

export const RUN_KINDS = ["daily", "backfill", "rerun", "recalculate"] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** The patch under which the daily run upserts ClaimDate (and RunKind=backfill when it is one). */
export const RUN_SEARCH_ATTRIBUTES = "run-search-attributes";

/** Typed search attributes of a run started by a client. */
export function runSearchAttributes(kind: RunKind, claimDate: string) {
  return [
    { key: RUN_KIND, value: kind },
    { key: CLAIM_DATE, value: claimDate },
  ];
}

/** The memo of runs over a range of claim dates (reruns, batched recalculations). */
export interface RunMemo {
  claimDateTo?: string;
}

/** Milliseconds of a schedule duration such as 90s, 30m, 12h or 1d (SCHEDULE_CATCHUP_WINDOW). */
export function durationMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "ms"];
  return Number(match[1]) * unit;
}

/**
 * A scheduled run's kind from how late it started: the schedule itself starts a missed run at
 * most `catchupWindowMs` after its nominal time; one started later was asked for by a backfill.
 */
export function scheduledRunKind(
  nominalTime: Date,
  startTime: Date,
  catchupWindowMs: number,
): RunKind {
  return startTime.getTime() - nominalTime.getTime() > catchupWindowMs ? "backfill" : "daily";
}

/** Default catch-up window of runs started by schedules ensured before it was passed (1 day). */
export const DEFAULT_CATCHUP_WINDOW_MS = 86_400_000;
