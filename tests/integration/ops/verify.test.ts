/**
 * `claims verify` against a store whose every policy-day was computed through the write path:
 * clean at first (exit 0), then each kind of damage done by hand is found and named (exit 1),
 * and undone again before the next case.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { ExitCode } from "../../../src/cli/io.ts";
import { cliEnv, runClaims } from "./support/cli.ts";
import { computePolicyDays } from "./support/compute-policy-days.ts";

const database = useTestDatabase("ops_verify");
const env = () => cliEnv(database.url);

interface ClaimRow {
  policy_id: string;
  claim_date: string;
  claim_key: string;
  payout_bps: number;
  uncapped_bps: number;
  payout_amount: bigint;
}

let sample: ClaimRow;
let ready: Promise<void> | undefined;

/** The seeded, fully computed store every test starts from (built once, by the first test). */
function setUp(): Promise<void> {
  ready ??= build();
  return ready;
}

async function build(): Promise<void> {
  const seeded = await runClaims(
    [
      "seed",
      "--policies",
      "25",
      "--days",
      "10",
      "--events-per-day",
      "2",
      "--seed",
      "verify",
      "--start",
      "2025-06-01",
    ],
    env(),
  );
  assert.equal(seeded.code, ExitCode.OK, seeded.stderr);
  await computePolicyDays(database.db, "2025-06-01", "2025-06-10");
  // A claim that pays something, on a once_per_day policy with a day that has events.
  const [row] = await database.sql<ClaimRow[]>`
    select c.policy_id, c.claim_date::text as claim_date, c.claim_key, c.payout_bps,
           c.uncapped_bps, c.payout_amount
    from claims c where c.payout_bps > 0 and c.claim_key = 'day'
    order by c.policy_id, c.claim_date limit 1`;
  assert.ok(row, "the seed produced a paying once_per_day claim");
  sample = row;
}

async function verifyJson(extra: string[] = []) {
  const run = await runClaims(["verify", "--json", ...extra], env());
  return { run, summary: JSON.parse(run.stdout) };
}

test("a fully computed store verifies clean: exit 0 and a one-line summary", async () => {
  await setUp();
  const run = await runClaims(["verify"], env());
  assert.equal(run.code, ExitCode.OK, run.stdout + run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /^verify: OK: 25 policies, \d+ policy-days, \d+ claims checked in [\d.]+ s; no differences/,
  );
});

test("a claim altered by hand is found and named, field by field", async () => {
  await setUp();
  const { policy_id, claim_date, claim_key } = sample;
  await database.sql`
    update claims set payout_bps = payout_bps - 1, capped = true,
                      payout_amount = payout_amount + 1
    where policy_id = ${policy_id} and claim_date = ${claim_date} and claim_key = ${claim_key}`;
  try {
    const run = await runClaims(["verify"], env());
    assert.equal(run.code, ExitCode.FAILED);
    const where = `${policy_id} ${claim_date} ${claim_key}`;
    assert.match(
      run.stdout,
      new RegExp(
        `difference ${where}: payoutBps: stored ${
          sample.payout_bps - 1
        }, expected ${sample.payout_bps}`,
      ),
    );
    assert.match(
      run.stdout,
      new RegExp(`difference ${where}: capped: stored true, expected false`),
    );
    assert.match(
      run.stdout,
      new RegExp(`cap_breach ${where}: payout_amount ${sample.payout_amount + 1n} != floor`),
    );
    assert.match(
      run.stdout,
      /^verify: FAILED: \d+ problem\(s\) \(\d+ differences?, 1 cap breach\)/m,
    );
  } finally {
    await database.sql`
      update claims set payout_bps = ${sample.payout_bps}, capped = ${
      sample.payout_bps < sample.uncapped_bps
    },
                        payout_amount = ${sample.payout_amount.toString()}::int8
      where policy_id = ${policy_id} and claim_date = ${claim_date} and claim_key = ${claim_key}`;
  }
  assert.equal((await runClaims(["verify"], env())).code, ExitCode.OK);
});

test("a deleted claim is found as missing (and its ledger row no longer matches)", async () => {
  await setUp();
  const { policy_id, claim_date, claim_key } = sample;
  const [saved] = await database.sql`
    delete from claims where policy_id = ${policy_id} and claim_date = ${claim_date}
      and claim_key = ${claim_key} returning *`;
  assert.ok(saved);
  try {
    const { run, summary } = await verifyJson();
    assert.equal(run.code, ExitCode.FAILED);
    assert.equal(summary.ok, false);
    const mine = summary.listed.filter((p: { policyId: string; claimDate?: string }) =>
      p.policyId === policy_id && p.claimDate === claim_date
    );
    assert.ok(
      mine.some((p: { kind: string; check: string; claimKey?: string }) =>
        p.kind === "difference" && p.check === "missing" && p.claimKey === claim_key
      ),
      JSON.stringify(mine),
    );
    assert.ok(
      mine.some((p: { check: string }) => p.check === "ledger_claims_count"),
      JSON.stringify(mine),
    );
  } finally {
    const { id: _id, ...columns } = saved as Record<string, unknown>;
    await database.sql`insert into claims ${database.sql(columns)}`;
  }
  assert.equal((await runClaims(["verify"], env())).code, ExitCode.OK);
});

test("a removed ledger row is a ledger gap on that policy-day", async () => {
  await setUp();
  const { policy_id, claim_date } = sample;
  const [saved] = await database.sql`
    delete from calculation_ledger where policy_id = ${policy_id} and claim_date = ${claim_date}
    returning *`;
  assert.ok(saved);
  try {
    const run = await runClaims(["verify"], env());
    assert.equal(run.code, ExitCode.FAILED);
    assert.match(run.stdout, new RegExp(`ledger_gap ${policy_id} ${claim_date}: .*no ledger row`));
    assert.match(
      run.stdout,
      new RegExp(
        `orphan ${policy_id} ${claim_date}: \\d+ claim\\(s\\) stored for a day with no ledger row`,
      ),
    );
  } finally {
    await database.sql`insert into calculation_ledger ${
      database.sql(saved as Record<string, unknown>)
    }`;
  }
  assert.equal((await runClaims(["verify"], env())).code, ExitCode.OK);
});

test("an event changed after its day was computed makes that ledger row stale", async () => {
  await setUp();
  const [event] = await database.sql<{ id: string }[]>`
    select unnest(event_ids) as id from claims
    where policy_id = ${sample.policy_id} and claim_date = ${sample.claim_date} and claim_key = ${sample.claim_key}
    limit 1`;
  assert.ok(event);
  await database
    .sql`update risk_events set updated_at = now() + interval '1 minute' where id = ${event.id}`;
  try {
    const run = await runClaims(
      ["verify", "--from", sample.claim_date, "--to", sample.claim_date],
      env(),
    );
    assert.equal(run.code, ExitCode.FAILED);
    assert.match(
      run.stdout,
      new RegExp(
        `ledger_gap ${sample.policy_id} ${sample.claim_date}: computed at .* before event ${event.id}`,
      ),
    );
  } finally {
    await database.sql`update risk_events set updated_at = received_at where id = ${event.id}`;
  }
});

test("cap breaches and orphans: over the period cap, a claim outside the coverage", async () => {
  await setUp();
  const [policy] = await database.sql<
    { id: string; coverage_end: string; period_cap_bps: number }[]
  >`
    select id, coverage_end::text as coverage_end, period_cap_bps from policies
    where coverage_end < '2025-06-10' order by id limit 1`;
  assert.ok(policy, "a policy that ends before the data set does");
  await database.sql`
    insert into claims (policy_id, claim_date, claim_key, tier, event_ids, uncapped_bps, payout_bps,
                        payout_amount, capped, first_observed_at, fence_token, calculator_version)
    values (${policy.id}, ${policy.coverage_end}::date + 1, 'day', 'tier3', ${[
    "forged",
  ]}, 10000, 10000,
            0, false, now(), 1, 'forged')`;
  try {
    const { run, summary } = await verifyJson();
    assert.equal(run.code, ExitCode.FAILED);
    const checks = summary.listed.filter((p: { policyId: string }) => p.policyId === policy.id)
      .map((p: { kind: string; check: string }) => `${p.kind}/${p.check}`);
    assert.ok(checks.includes("orphan/outside_coverage"), checks.join(" "));
    assert.ok(checks.includes("cap_breach/period_cap"), checks.join(" "));
    assert.ok(checks.includes("cap_breach/payout_amount"), checks.join(" "));
    assert.ok(summary.byKind.orphan >= 1 && summary.byKind.cap_breach >= 2);
  } finally {
    await database.sql`delete from claims where calculator_version = 'forged'`;
  }
  assert.equal((await runClaims(["verify"], env())).code, ExitCode.OK);
});

test("--limit caps the listing, every problem is still counted; paging does not change results", async () => {
  await setUp();
  await database
    .sql`update claims set payout_bps = 0, capped = true where payout_bps > 0 and uncapped_bps > 0`;
  try {
    const full = await verifyJson(["--limit", "100000", "--page-size", "7"]);
    const limited = await verifyJson(["--limit", "3"]);
    assert.equal(limited.run.code, ExitCode.FAILED);
    assert.equal(limited.summary.listed.length, 3);
    assert.equal(limited.summary.problems, full.summary.problems);
    assert.deepEqual(limited.summary.byKind, full.summary.byKind);
    assert.ok(full.summary.problems > 3);
    const text = await runClaims(["verify", "--limit", "2"], env());
    assert.match(text.stdout, /more problem\(s\) not listed \(--limit\)/);
  } finally {
    // Recompute from scratch: the write path restores every claim.
    await computePolicyDays(database.db, "2025-06-01", "2025-06-10");
  }
  assert.equal((await runClaims(["verify"], env())).code, ExitCode.OK);
});
