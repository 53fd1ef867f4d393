/**
 * Computes policy-days the way a worker does, minus Temporal and locks: the storage loaders,
 * the domain's day calculation, the fenced write path (writtenBy `manual`). Tests use it to
 * bring a seeded store to "every day computed" before `verify` and `report`.
 */
import { calculateDayCandidates } from "../../../../src/domain/calculate.ts";
import { addDays } from "../../../../src/domain/calendar.ts";
import { inputsHash } from "../../../../src/calc/inputs-hash.ts";
import type { Db } from "../../../../src/store/connection.ts";
import { listCoveringPolicyIds } from "../../../../src/store/covering-policies.ts";
import { loadPolicyDays } from "../../../../src/store/policy-day-inputs.ts";
import type { PolicyDayWrite } from "../../../../src/store/policy-day-types.ts";
import { writePolicyDays } from "../../../../src/store/write-policy-days.ts";

let lastToken = 0n;

/** A fencing token above every earlier one (of this process and of the clock). */
function nextToken(): bigint {
  const now = BigInt(Date.now()) * 1000n;
  lastToken = now > lastToken ? now : lastToken + 1n;
  return lastToken;
}

/** Computes and writes every policy-day from `from` to `to` (both included); returns how many. */
export async function computePolicyDays(
  db: Db,
  from: string,
  to: string,
  onlyPolicyIds?: readonly string[],
): Promise<number> {
  let written = 0;
  for (let date = from; date <= to; date = addDays(date, 1)) {
    let after: string | null = null;
    for (;;) {
      const ids = await listCoveringPolicyIds(db, { date, afterId: after, limit: 2000 });
      if (ids.length === 0) break;
      after = ids[ids.length - 1]!;
      const wanted = onlyPolicyIds ? ids.filter((id) => onlyPolicyIds.includes(id)) : ids;
      const batch = await loadPolicyDays(db, date, wanted);
      const writes: PolicyDayWrite[] = batch.days.map((day) => ({
        policyId: day.policy.id,
        claimDate: date,
        fenceToken: nextToken(),
        writtenBy: "manual",
        inputsHash: inputsHash(day.policy, day.events),
        eventsCount: day.events.length,
        candidates: calculateDayCandidates(day.policy, date, day.events),
      }));
      if (writes.length > 0) await writePolicyDays(db, writes);
      written += writes.length;
      if (ids.length < 2000) break;
    }
  }
  return written;
}
