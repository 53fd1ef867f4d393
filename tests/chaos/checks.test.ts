/**
 * The chaos run's final-state checks must be able to fail: on a store computed correctly every
 * check passes, and each kind of damage (a missing ledger row, a wrong payout, a duplicate
 * behind a dropped constraint, a cap breach, a gap in the audit trail, a leftover lock) is
 * reported by the check meant to catch it. Plus the fault planner's guarantees.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { generateSeed } from "../../src/seed/generate.ts";
import { createRandom } from "../../src/seed/random.ts";
import { writeSeed } from "../../src/seed/write-seed.ts";
import { connectSql } from "../../src/store/connection.ts";
import { auditReplays, replayAudit } from "../../scripts/chaos/checks/audit.ts";
import {
  capInvariant,
  compareClaims,
  matchesWholePeriod,
  noDuplicates,
} from "../../scripts/chaos/checks/claims.ts";
import type { Check, CheckContext } from "../../scripts/chaos/checks/context.ts";
import { CHECKS, runChecks } from "../../scripts/chaos/checks/index.ts";
import { ledgerComplete } from "../../scripts/chaos/checks/ledger.ts";
import { noLocksHeld } from "../../scripts/chaos/checks/locks.ts";
import { verifyCommand } from "../../scripts/chaos/checks/verify.ts";
import { planFaults } from "../../scripts/chaos/faults.ts";
import { PROFILES } from "../../scripts/chaos/profiles.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { before, describe, test } from "../support/test.ts";
import { computePolicyDays } from "../integration/ops/support/compute-policy-days.ts";

const database = useTestDatabase("chaos-checks");
const redis = useTestRedis();

const data = generateSeed({
  policies: 60,
  days: 4,
  eventsPerDay: 3,
  seed: "chaos-checks",
  start: "2025-03-28",
  lateShare: 0,
});
let policyDays = 0;
for (const p of data.policies()) {
  policyDays += (Date.parse(p.coverageEnd) - Date.parse(p.coverageStart)) / 86_400_000 + 1;
}

function context(): CheckContext {
  return {
    sql: database.sql,
    db: database.db,
    expectedPolicyDays: policyDays,
    redisUrl: redis.url,
    databaseName: database.name,
    lockTtlMs: 100,
    env: { DATABASE_URL: database.url, LOG_LEVEL: "error" },
  };
}

/** Damages the store, runs the checks, repairs it; returns the problems of each check. */
async function damaged(
  damage: () => Promise<unknown>,
  repair: () => Promise<unknown>,
  checks: readonly Check[],
): Promise<Record<string, string[]>> {
  await damage();
  try {
    const out: Record<string, string[]> = {};
    for (const check of checks) out[check.name] = await check.run(context());
    return out;
  } finally {
    await repair();
  }
}

describe("chaos final-state checks", () => {
  before(async () => {
    await writeSeed(database.db, data);
    await computePolicyDays(database.db, "2025-03-28", "2025-03-31");
  });

  test("a correctly computed store passes every check", { timeout: 60_000 }, async () => {
    const results = await runChecks(context());
    assert.deepEqual(results.map((r) => r.name), CHECKS.map((c) => c.name));
    for (const r of results) assert.equal(r.ok, true, `${r.name}: ${r.listed.join("; ")}`);
    const [row] = await database.sql<{ claims: number }[]>`
      select count(*)::int as claims from claims`;
    assert.ok(row!.claims > 20, `the data set has claims to check (${row!.claims})`);
  });

  test("a missing ledger row is a gap", async () => {
    const [row] = await database.sql<Record<string, unknown>[]>`
      select * from calculation_ledger order by policy_id, claim_date limit 1`;
    const problems = await damaged(
      () =>
        database.sql`delete from calculation_ledger
          where policy_id = ${row!["policy_id"] as string} and claim_date = ${row![
          "claim_date"
        ] as string}`,
      () => database.sql`insert into calculation_ledger ${database.sql(row!)}`,
      [ledgerComplete],
    );
    assert.equal(problems["ledger-complete"]!.length, 1);
    assert.match(problems["ledger-complete"]![0]!, /^no ledger row for /);
  });

  test("a wrong payout is a difference, a cap problem and an audit mismatch", async () => {
    const [claim] = await database.sql<{ id: bigint; payout_bps: number; uncapped_bps: number }[]>`
      select id, payout_bps, uncapped_bps from claims where payout_bps > 0 order by id limit 1`;
    const problems = await damaged(
      () =>
        database.sql`update claims set payout_bps = payout_bps - 1, capped = true
          where id = ${String(claim!.id)}::int8`,
      () =>
        database.sql`update claims set payout_bps = ${claim!.payout_bps},
          capped = ${claim!.payout_bps < claim!.uncapped_bps} where id = ${
          String(claim!.id)
        }::int8`,
      [matchesWholePeriod, capInvariant, auditReplays],
    );
    assert.ok(problems["matches-whole-period"]!.some((p) => /: payoutBps stored /.test(p)));
    assert.equal(problems["cap-invariant"]!.length, 1);
    assert.match(problems["cap-invariant"]![0]!, /payout_amount is not floor/);
    assert.equal(problems["audit-replays"]!.length, 1);
    assert.match(problems["audit-replays"]![0]!, /audit replay ends at/);
  });

  test("a duplicate natural key is found by GROUP BY once the constraint is gone", async () => {
    const problems = await damaged(
      async () => {
        await database.sql`alter table claims drop constraint claims_natural_key`;
        await database.sql`
          insert into claims (policy_id, claim_date, claim_key, tier, event_ids, uncapped_bps,
            payout_bps, payout_amount, capped, first_observed_at, fence_token, calculator_version)
          select policy_id, claim_date, claim_key, tier, event_ids, uncapped_bps, payout_bps,
            payout_amount, capped, first_observed_at, fence_token, calculator_version
          from claims order by id limit 1`;
      },
      async () => {
        await database.sql`delete from claims where id = (select max(id) from claims)`;
        await database.sql`alter table claims add constraint claims_natural_key
          unique (policy_id, claim_date, claim_key)`;
      },
      [noDuplicates],
    );
    assert.equal(problems["no-duplicates"]!.length, 1);
    assert.match(problems["no-duplicates"]![0]!, /^2 claims for /);
  });

  test("a policy paid beyond its period cap is a cap breach", async () => {
    const [policy] = await database.sql<{ id: string; cap: number; total: number }[]>`
      select p.id, p.period_cap_bps as cap, sum(c.payout_bps)::int as total
      from policies p join claims c on c.policy_id = p.id
      group by p.id having sum(c.payout_bps) > 1 order by p.id limit 1`;
    const problems = await damaged(
      () =>
        database.sql`update policies set period_cap_bps = ${policy!.total - 1} where id = ${
          policy!.id
        }`,
      () =>
        database.sql`update policies set period_cap_bps = ${policy!.cap} where id = ${policy!.id}`,
      [capInvariant, matchesWholePeriod],
    );
    assert.deepEqual(problems["cap-invariant"], [
      `${policy!.id} pays ${policy!.total} bps over its period, cap ${policy!.total - 1}`,
    ]);
    assert.ok(problems["matches-whole-period"]!.length > 0);
  });

  test("a claim whose insert is missing from the audit trail is reported", async () => {
    const [row] = await database.sql<Record<string, unknown>[]>`
      select * from claim_audit where action = 'insert' order by id limit 1`;
    const problems = await damaged(
      () => database.sql`delete from claim_audit where id = ${String(row!["id"])}::int8`,
      () => database.sql`insert into claim_audit ${database.sql(row!)}`,
      [auditReplays],
    );
    assert.ok(problems["audit-replays"]!.length >= 1);
    assert.ok(
      problems["audit-replays"]!.some((p) =>
        /no insert for it|updates a missing claim|deletes a missing claim/.test(p)
      ),
      problems["audit-replays"]!.join("; "),
    );
  });

  test("verify fails on a changed claim", { timeout: 60_000 }, async () => {
    const [claim] = await database.sql<{ id: bigint; tier: string }[]>`
      select id, tier from claims where tier <> 'tier3' order by id limit 1`;
    const problems = await damaged(
      () => database.sql`update claims set tier = 'tier3' where id = ${String(claim!.id)}::int8`,
      () =>
        database.sql`update claims set tier = ${claim!.tier} where id = ${String(claim!.id)}::int8`,
      [verifyCommand],
    );
    assert.ok(problems["verify-command"]!.some((p) => /^difference /.test(p)));
  });

  test("a Redis lock key and a PostgreSQL advisory lock are leftovers", async () => {
    const client = new Redis(redis.url);
    const holder = connectSql(database.url, { max: 1, applicationName: "chaos-checks-holder" });
    try {
      const problems = await damaged(
        async () => {
          await client.set("lock:claim_calc:P000001:2025-03-28", "someone");
          await holder`select pg_advisory_lock(4242)`;
        },
        async () => {
          await client.del("lock:claim_calc:P000001:2025-03-28");
          await holder`select pg_advisory_unlock(4242)`;
        },
        [noLocksHeld],
      );
      assert.equal(problems["no-locks-held"]!.length, 2);
      assert.match(problems["no-locks-held"]![0]!, /^Redis lock:claim_calc:P000001:2025-03-28 /);
      assert.match(problems["no-locks-held"]![1]!, /^PostgreSQL advisory lock 4242 /);
    } finally {
      client.disconnect();
      await holder.end({ timeout: 5 });
    }
  });
});

describe("chaos checks, pure parts", () => {
  const claim = (over: Record<string, unknown> = {}) => ({
    policyId: "P1",
    claimDate: "2025-03-28",
    claimKey: "day",
    tier: "tier1" as const,
    eventIds: ["e1"],
    uncappedBps: 500,
    payoutBps: 500,
    capped: false,
    payoutAmount: 5000,
    ...over,
  });

  test("compareClaims names missing, extra and differing claims", () => {
    assert.deepEqual(compareClaims("P1", [claim()], [claim()]), []);
    assert.deepEqual(compareClaims("P1", [], [claim()]).length, 1);
    assert.match(compareClaims("P1", [claim()], [])[0]!, /stored but not produced/);
    assert.deepEqual(
      compareClaims("P1", [claim({ eventIds: ["e1", "e2"] })], [claim()]),
      ['P1 2025-03-28 day: eventIds stored ["e1","e2"], expected ["e1"]'],
    );
  });

  const row = (
    id: number,
    action: "insert" | "update" | "delete",
    old: number | null,
    next: number | null,
  ) => ({
    id: BigInt(id),
    policy_id: "P1",
    claim_date: "2025-03-28",
    claim_key: "day",
    action,
    old_tier: old === null ? null : "tier1",
    new_tier: next === null ? null : "tier1",
    old_event_ids: old === null ? null : ["e1"],
    new_event_ids: next === null ? null : ["e1"],
    old_uncapped_bps: old === null ? null : 500,
    new_uncapped_bps: next === null ? null : 500,
    old_payout_bps: old,
    new_payout_bps: next,
    old_payout_amount: old === null ? null : BigInt(old * 10),
    new_payout_amount: next === null ? null : BigInt(next * 10),
  });
  const stored = (payout: number) => ({
    policy_id: "P1",
    claim_date: "2025-03-28",
    claim_key: "day",
    tier: "tier1",
    event_ids: ["e1"],
    uncapped_bps: 500,
    payout_bps: payout,
    payout_amount: BigInt(payout * 10),
  });

  test("replayAudit follows insert, update and delete to the stored row", () => {
    assert.deepEqual(
      replayAudit([row(1, "insert", null, 500), row(2, "update", 500, 300)], [stored(300)]),
      [],
    );
    assert.deepEqual(
      replayAudit([row(1, "insert", null, 500), row(2, "delete", 500, null)], []),
      [],
    );
    assert.deepEqual(
      replayAudit([
        row(1, "insert", null, 500),
        row(2, "delete", 500, null),
        row(3, "insert", null, 200),
      ], [stored(200)]),
      [],
    );
  });

  test("replayAudit reports broken chains and end states", () => {
    assert.match(
      replayAudit([row(1, "insert", null, 500), row(2, "update", 400, 300)], [stored(300)])[0]!,
      /updates from/,
    );
    assert.match(replayAudit([row(1, "insert", null, 500)], [stored(300)])[0]!, /replay ends at/);
    assert.match(replayAudit([], [stored(300)])[0]!, /no insert for it/);
    assert.match(replayAudit([row(1, "insert", null, 500)], [])[0]!, /not stored/);
    assert.match(
      replayAudit([row(1, "update", 500, 300)], [stored(300)])[0]!,
      /updates a missing claim/,
    );
  });

  test("planFaults: the profile's counts, inside the window, apart, reproducible", () => {
    for (const profile of Object.values(PROFILES)) {
      const plan = planFaults(profile, createRandom("7", "faults"));
      assert.deepEqual(plan, planFaults(profile, createRandom("7", "faults")));
      const count = (k: string) => plan.filter((f) => f.kind === k).length;
      assert.equal(count("kill"), profile.faults.kills);
      assert.equal(count("redis-restart"), profile.faults.redisRestarts);
      assert.equal(count("pg-terminate"), profile.faults.pgTerminations);
      assert.equal(count("sigstop"), profile.faults.sigstops);
      assert.equal(count("temporal-restart"), profile.faults.temporalRestarts);
      for (const [i, f] of plan.entries()) {
        assert.ok(f.atMs >= profile.faultWindow.fromMs && f.atMs <= profile.faultWindow.toMs);
        if (i > 0) {
          assert.ok(f.atMs - plan[i - 1]!.atMs >= profile.minFaultGapMs, `${profile.name} gap`);
        }
      }
      assert.notDeepEqual(plan, planFaults(profile, createRandom("8", "faults")));
    }
  });

  test("the full profile asks for what the issue asks", () => {
    const f = PROFILES.full.faults;
    assert.ok(PROFILES.full.minPolicyDays >= 10_000);
    assert.ok(PROFILES.full.workers >= 3);
    assert.ok(f.kills >= 5 && f.redisRestarts >= 1 && f.pgTerminations >= 2);
    assert.ok(f.sigstops >= 1 && f.temporalRestarts >= 1);
    assert.ok(PROFILES.full.sigstopMs > PROFILES.full.lockTtlMs);
    const s = PROFILES.short.faults;
    assert.ok(s.kills >= 2 && s.redisRestarts >= 1 && s.sigstops >= 1);
  });
});
