/**
 * The fence, proven with the frozen worker's own tokens. When the worker was SIGSTOPped it held
 * leases with fencing tokens; its leases expired while it was frozen and other workers took the
 * days over with higher tokens. Whatever the frozen worker itself did after SIGCONT (it
 * normally notices the lost lease before writing), a write carrying such a token must be
 * refused and change nothing. After every workflow has closed, this replays that write for
 * each day that was taken over: a real write through the product's write path, with the
 * frozen token, and checks the outcome is `stale` and the database is byte-for-byte unchanged.
 */
import { calculateDayCandidates } from "../../src/domain/calculate.ts";
import { inputsHash } from "../../src/calc/inputs-hash.ts";
import { parseClaimCalcLockKey } from "../../src/locks/keys.ts";
import type { Sql } from "../../src/store/connection.ts";
import type { Db } from "../../src/store/connection.ts";
import { loadPolicyDays } from "../../src/store/policy-day-inputs.ts";
import { writePolicyDays } from "../../src/store/write-policy-days.ts";
import type { FrozenLease } from "./faults.ts";

export interface FenceProbe {
  /** Leases the frozen worker held. */
  frozenLeases: number;
  /** Of those, days whose ledger now holds a higher token (someone took over): probed. */
  probed: number;
  /** Probes the fence refused (`stale`) with nothing changed. */
  refused: number;
  /** Days not taken over (the ledger token is the frozen one or lower): not probed. */
  notTakenOver: number;
  problems: string[];
}

const MAX_PROBES = 25;

/** Everything a refused write must leave untouched: ledger row, claims, audit trail. */
async function snapshot(sql: Sql, policyId: string, claimDate: string): Promise<string> {
  const [ledger, claims, audit] = await Promise.all([
    sql`select * from calculation_ledger where policy_id = ${policyId} and claim_date = ${claimDate}`,
    sql`select * from claims where policy_id = ${policyId} order by id`,
    sql`select count(*)::int as n, max(id)::text as last from claim_audit where policy_id = ${policyId}`,
  ]);
  return JSON.stringify(
    { ledger, claims, audit },
    (_k, v) => (typeof v === "bigint" ? v.toString() : v),
  );
}

export async function probeFence(
  db: Db,
  sql: Sql,
  leases: readonly FrozenLease[],
): Promise<FenceProbe> {
  const out: FenceProbe = {
    frozenLeases: leases.length,
    probed: 0,
    refused: 0,
    notTakenOver: 0,
    problems: [],
  };
  for (const lease of leases) {
    const day = parseClaimCalcLockKey(lease.key);
    if (!day) {
      out.problems.push(`${lease.key}: not a claim-calculation lock key`);
      continue;
    }
    const token = BigInt(lease.token);
    const [row] = await sql<{ fence_token: bigint }[]>`
      select fence_token from calculation_ledger
      where policy_id = ${day.policyId} and claim_date = ${day.date}`;
    if (!row || BigInt(row.fence_token) <= token) {
      out.notTakenOver++;
      continue;
    }
    if (out.probed >= MAX_PROBES) continue;
    out.probed++;
    const before = await snapshot(sql, day.policyId, day.date);
    const inputs = await loadPolicyDays(db, day.date, [day.policyId]);
    const input = inputs.days[0];
    if (!input) {
      out.problems.push(`${lease.key}: the policy-day has no inputs any more`);
      continue;
    }
    const [outcome] = await writePolicyDays(db, [{
      policyId: day.policyId,
      claimDate: day.date,
      fenceToken: token,
      writtenBy: "chaos/fence-probe",
      inputsHash: inputsHash(input.policy, input.events),
      eventsCount: input.events.length,
      candidates: calculateDayCandidates(input.policy, day.date, input.events),
    }]);
    const after = await snapshot(sql, day.policyId, day.date);
    if (outcome?.status !== "stale") {
      out.problems.push(
        `${lease.key}: a write with the frozen token ${token} (ledger ${row.fence_token}) came ` +
          `back ${outcome?.status}, not stale`,
      );
    } else if (before !== after) {
      out.problems.push(`${lease.key}: the refused write changed the database`);
    } else out.refused++;
  }
  return out;
}
