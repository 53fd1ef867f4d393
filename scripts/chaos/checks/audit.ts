/**
 * The audit trail accounts for every change: replaying each claim's audit rows in id order
 * (insert, update, delete, each update/delete starting from exactly what the previous row left)
 * ends at the stored claim row, or at nothing for a claim that is not stored. A stored claim
 * without an insert, a step whose "old" values are not the previous "new" ones, and an end
 * state different from the table are all problems.
 */
import type { Check } from "./context.ts";

interface AuditRow {
  id: bigint;
  policy_id: string;
  claim_date: string;
  claim_key: string;
  action: "insert" | "update" | "delete";
  old_tier: string | null;
  new_tier: string | null;
  old_event_ids: string[] | null;
  new_event_ids: string[] | null;
  old_uncapped_bps: number | null;
  new_uncapped_bps: number | null;
  old_payout_bps: number | null;
  new_payout_bps: number | null;
  old_payout_amount: bigint | null;
  new_payout_amount: bigint | null;
}

interface ClaimRow {
  policy_id: string;
  claim_date: string;
  claim_key: string;
  tier: string;
  event_ids: string[];
  uncapped_bps: number;
  payout_bps: number;
  payout_amount: bigint;
}

/** The compared values of a claim, as one comparable string. */
type Values = string;

function values(
  tier: string | null,
  eventIds: string[] | null,
  uncapped: number | null,
  payout: number | null,
  amount: bigint | null,
): Values {
  return JSON.stringify([
    tier,
    eventIds,
    uncapped,
    payout,
    amount === null ? null : String(amount),
  ]);
}

const oldOf = (r: AuditRow) =>
  values(r.old_tier, r.old_event_ids, r.old_uncapped_bps, r.old_payout_bps, r.old_payout_amount);
const newOf = (r: AuditRow) =>
  values(r.new_tier, r.new_event_ids, r.new_uncapped_bps, r.new_payout_bps, r.new_payout_amount);

/** Replays audit rows (in id order) and compares with the stored claims; pure. */
export function replayAudit(audit: readonly AuditRow[], claims: readonly ClaimRow[]): string[] {
  const problems: string[] = [];
  const state = new Map<string, Values>();
  const name = (r: { policy_id: string; claim_date: string; claim_key: string }) =>
    `${r.policy_id} ${r.claim_date} ${r.claim_key}`;
  for (const row of audit) {
    const key = name(row);
    const current = state.get(key);
    switch (row.action) {
      case "insert":
        if (current !== undefined) {
          problems.push(`${key}: audit ${row.id} inserts a claim that exists`);
        }
        state.set(key, newOf(row));
        break;
      case "update":
        if (current === undefined) problems.push(`${key}: audit ${row.id} updates a missing claim`);
        else if (current !== oldOf(row)) {
          problems.push(`${key}: audit ${row.id} updates from ${oldOf(row)}, was ${current}`);
        }
        state.set(key, newOf(row));
        break;
      case "delete":
        if (current === undefined) problems.push(`${key}: audit ${row.id} deletes a missing claim`);
        else if (current !== oldOf(row)) {
          problems.push(`${key}: audit ${row.id} deletes from ${oldOf(row)}, was ${current}`);
        }
        state.delete(key);
        break;
    }
  }
  for (const claim of claims) {
    const key = name(claim);
    const stored = values(
      claim.tier,
      claim.event_ids,
      claim.uncapped_bps,
      claim.payout_bps,
      claim.payout_amount,
    );
    const replayed = state.get(key);
    state.delete(key);
    if (replayed === undefined) problems.push(`${key}: stored, but the audit has no insert for it`);
    else if (replayed !== stored) {
      problems.push(`${key}: audit replay ends at ${replayed}, stored ${stored}`);
    }
  }
  for (const key of state.keys()) {
    problems.push(`${key}: the audit replay ends with a claim that is not stored`);
  }
  return problems;
}

export const auditReplays: Check = {
  name: "audit-replays",
  description: "replaying claim_audit per claim in id order ends at the stored claim row",
  async run({ sql }) {
    const [audit, claims] = await Promise.all([
      sql<AuditRow[]>`
        select id, policy_id, claim_date::text, claim_key, action, old_tier, new_tier,
          old_event_ids, new_event_ids, old_uncapped_bps, new_uncapped_bps, old_payout_bps,
          new_payout_bps, old_payout_amount, new_payout_amount
        from claim_audit order by id`,
      sql<ClaimRow[]>`
        select policy_id, claim_date::text, claim_key, tier, event_ids, uncapped_bps,
          payout_bps, payout_amount from claims`,
    ]);
    return replayAudit(audit, claims);
  },
};
