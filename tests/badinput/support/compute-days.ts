/**
 * Fills the claims, ledger and audit tables of the baseline the way a worker would, minus
 * Temporal and locks: so that the checksum also guards those tables against a bad input.
 */
import { inputsHash } from "../../../src/calc/inputs-hash.ts";
import { calculateDayCandidates } from "../../../src/domain/calculate.ts";
import { addDays } from "../../../src/domain/calendar.ts";
import type { Db } from "../../../src/store/connection.ts";
import { listCoveringPolicyIds } from "../../../src/store/covering-policies.ts";
import { loadPolicyDays } from "../../../src/store/policy-day-inputs.ts";
import type { PolicyDayWrite } from "../../../src/store/policy-day-types.ts";
import { writePolicyDays } from "../../../src/store/write-policy-days.ts";

/** Computes every policy-day from `from` to `to`; returns how many were written. */
export async function computeDays(db: Db, from: string, to: string): Promise<number> {
  let token = 1n;
  let written = 0;
  for (let date = from; date <= to; date = addDays(date, 1)) {
    const ids = await listCoveringPolicyIds(db, { date, afterId: null, limit: 1000 });
    const batch = await loadPolicyDays(db, date, ids);
    const writes: PolicyDayWrite[] = batch.days.map((day) => ({
      policyId: day.policy.id,
      claimDate: date,
      fenceToken: token++,
      writtenBy: "manual",
      inputsHash: inputsHash(day.policy, day.events),
      eventsCount: day.events.length,
      candidates: calculateDayCandidates(day.policy, date, day.events),
    }));
    if (writes.length > 0) await writePolicyDays(db, writes);
    written += writes.length;
  }
  return written;
}
