/**
 * `claims verify`: recomputes every stored policy-day from the stored events with the domain
 * calculator (whole coverage period per policy) and reports each difference, cap breach,
 * ledger gap and orphan. Streams: one page of policies (and their events, claims and ledger
 * rows) in memory at a time, all pages read in one consistent snapshot.
 */
import { prepareEvents } from "../domain/prepared-events.ts";
import type { RiskEvent } from "../domain/schemas.ts";
import type { Sql } from "../store/connection.ts";
import { checkPolicy, type DateRange } from "./check-policy.ts";
import { claimsOf, ledgerOf, policyPages, RegionEventCache } from "./load-page.ts";
import { policylessRows } from "./orphans.ts";
import { unverifiablePolicy } from "./stored-policy.ts";
import { PROBLEM_KINDS, type ProblemKind, type VerifyProblem } from "./problems.ts";

const NO_EVENTS = { prepared: prepareEvents([]), changedAtUs: new Map<RiskEvent, number>() };

export interface VerifyOptions {
  range?: DateRange | undefined;
  /** Policies per page (default 1000). */
  pageSize?: number;
  /** Problems kept in the summary (all are counted); default 1000. */
  maxListed?: number;
  /** Called for every problem as it is found (e.g. to print it at once). */
  onProblem?: (problem: VerifyProblem) => void;
}

export interface VerifySummary {
  ok: boolean;
  range: DateRange | null;
  policies: number;
  /** Ledger rows checked (policy-days computed). */
  policyDays: number;
  claims: number;
  problems: number;
  byKind: Record<ProblemKind, number>;
  /** The first `maxListed` problems. */
  listed: VerifyProblem[];
  durationMs: number;
}

export async function verifyStore(sql: Sql, options: VerifyOptions = {}): Promise<VerifySummary> {
  const started = performance.now();
  const pageSize = options.pageSize ?? 1000;
  const maxListed = options.maxListed ?? 1000;
  const byKind = Object.fromEntries(PROBLEM_KINDS.map((k) => [k, 0])) as Record<
    ProblemKind,
    number
  >;
  const listed: VerifyProblem[] = [];
  let problems = 0;
  const record = (p: VerifyProblem) => {
    problems++;
    byKind[p.kind]++;
    if (listed.length < maxListed) listed.push(p);
    options.onProblem?.(p);
  };
  let policies = 0;
  let policyDays = 0;
  let claims = 0;

  await sql.begin("isolation level repeatable read read only", async (tx) => {
    const events = new RegionEventCache(tx);
    for await (const stored of policyPages(tx, pageSize, options.range)) {
      const page = stored.filter((policy) => {
        const why = unverifiablePolicy(policy);
        if (why === undefined) return true;
        policies++;
        record({
          kind: "invalid_policy",
          policyId: policy.id,
          check: "unverifiable",
          message: `${why}; its claims and ledger rows were not checked (correct the policy ` +
            "with `claims policies import`, or remove it)",
        });
        return false;
      });
      if (page.length === 0) continue;
      const ids = page.map((p) => p.id);
      const [eventsByRegion, claimsByPolicy, ledgerByPolicy] = [
        await events.eventsFor(page),
        await claimsOf(tx, ids),
        await ledgerOf(tx, ids),
      ];
      for (const policy of page) {
        const regionEvents = eventsByRegion.get(policy.region) ?? NO_EVENTS;
        const check = checkPolicy({
          policy,
          events: regionEvents.prepared,
          changedAtUs: regionEvents.changedAtUs,
          claims: claimsByPolicy.get(policy.id) ?? [],
          ledger: ledgerByPolicy.get(policy.id) ?? [],
        }, { range: options.range, details: listed.length < maxListed });
        policies++;
        claims += check.claimsChecked;
        policyDays += check.policyDaysChecked;
        check.problems.forEach(record);
        for (const kind of PROBLEM_KINDS) {
          problems += check.counted[kind];
          byKind[kind] += check.counted[kind];
        }
      }
    }
    const orphans = await policylessRows(tx, maxListed, options.range);
    orphans.problems.forEach(record);
    // Past the listing limit only the count is known; count them all the same.
    const uncounted = orphans.total - orphans.problems.length;
    problems += uncounted;
    byKind.orphan += uncounted;
  });

  return {
    ok: problems === 0,
    range: options.range ?? null,
    policies,
    policyDays,
    claims,
    problems,
    byKind,
    listed,
    durationMs: Math.round(performance.now() - started),
  };
}

const KIND_LABELS: Record<ProblemKind, readonly [string, string]> = {
  difference: ["difference", "differences"],
  cap_breach: ["cap breach", "cap breaches"],
  ledger_gap: ["ledger gap", "ledger gaps"],
  orphan: ["orphan", "orphans"],
  invalid_policy: ["invalid policy", "invalid policies"],
};

/** `verify: OK: 1200 policies, 3400 policy-days, 5600 claims checked in 2.1 s` */
export function summaryLine(summary: VerifySummary): string {
  const scope = summary.range ? ` (${summary.range.from}..${summary.range.to})` : "";
  const counted =
    `${summary.policies} policies, ${summary.policyDays} policy-days, ${summary.claims} claims checked${scope} in ${
      (summary.durationMs / 1000).toFixed(1)
    } s`;
  if (summary.ok) {
    return `verify: OK: ${counted}; no differences, cap breaches, ledger gaps or orphans`;
  }
  const kinds = PROBLEM_KINDS.filter((k) => summary.byKind[k] > 0).map((k) =>
    `${summary.byKind[k]} ${KIND_LABELS[k][summary.byKind[k] === 1 ? 0 : 1]}`
  );
  return `verify: FAILED: ${summary.problems} problem(s) (${kinds.join(", ")}); ${counted}`;
}
