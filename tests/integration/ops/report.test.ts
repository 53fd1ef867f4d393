/**
 * `claims report`: its totals equal a direct SQL sum over the claims table (per currency, per
 * day, per region, for one policy), in every output format; bad flags are usage errors.
 */
import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { ExitCode } from "../../../src/cli/io.ts";
import { cliEnv, runClaims } from "./support/cli.ts";
import { computePolicyDays } from "./support/compute-policy-days.ts";

const database = useTestDatabase("ops_report");
const env = () => cliEnv(database.url);
const FROM = "2025-09-01";
const TO = "2025-09-08";
let ready: Promise<void> | undefined;

function setUp(): Promise<void> {
  ready ??= (async () => {
    const seeded = await runClaims(
      [
        "seed",
        "--policies",
        "30",
        "--days",
        "8",
        "--events-per-day",
        "2",
        "--seed",
        "report",
        "--start",
        FROM,
      ],
      env(),
    );
    assert.equal(seeded.code, ExitCode.OK, seeded.stderr);
    await computePolicyDays(database.db, FROM, TO);
  })();
  return ready;
}

interface Sums {
  claims: number;
  capped: number;
  payout: Record<string, string>;
}

async function sqlSums(
  where: { date?: string; region?: string; policy?: string } = {},
): Promise<Sums> {
  const rows = await database.sql<
    { currency: string; claims: number; capped: number; payout: string }[]
  >`
    select p.currency, count(*)::int as claims, count(*) filter (where c.capped)::int as capped,
           sum(c.payout_amount)::text as payout
    from claims c join policies p on p.id = c.policy_id
    where c.claim_date between ${FROM} and ${TO}
      and (${where.date ?? null}::date is null or c.claim_date = ${where.date ?? null}::date)
      and (${where.region ?? null}::text is null or p.region = ${where.region ?? null}::text)
      and (${where.policy ?? null}::text is null or c.policy_id = ${where.policy ?? null}::text)
    group by p.currency`;
  return {
    claims: rows.reduce((n, r) => n + r.claims, 0),
    capped: rows.reduce((n, r) => n + r.capped, 0),
    payout: Object.fromEntries(rows.map((r) => [r.currency, r.payout])),
  };
}

test("report totals equal a direct SQL sum over the claims table (JSON)", async () => {
  await setUp();
  const run = await runClaims(["report", "--from", FROM, "--to", TO, "--format", "json"], env());
  assert.equal(run.code, ExitCode.OK, run.stderr);
  const report = JSON.parse(run.stdout);
  const total = await sqlSums();
  assert.ok(total.claims > 0, "the seed produced claims");
  assert.deepEqual(
    {
      claims: report.totals.claims,
      capped: report.totals.cappedClaims,
      payout: report.totals.payout,
    },
    total,
  );
  const [ledger] = await database.sql<{ n: number }[]>`
    select count(*)::int as n from calculation_ledger where claim_date between ${FROM} and ${TO}`;
  assert.equal(report.totals.policyDays, ledger?.n);

  for (const day of report.days) {
    const sums = await sqlSums({ date: day.claimDate });
    assert.deepEqual(
      { claims: day.claims, capped: day.cappedClaims, payout: day.payout },
      sums,
      day.claimDate,
    );
  }
  for (const region of report.regions) {
    const sums = await sqlSums({ region: region.region });
    assert.deepEqual(
      { claims: region.claims, capped: region.cappedClaims, payout: region.payout },
      sums,
      region.region,
    );
  }
  assert.equal(
    report.days.reduce((n: number, d: { policyDays: number }) => n + d.policyDays, 0),
    ledger?.n,
  );
});

test("--policy narrows to one policy; CSV and table show the same totals", async () => {
  await setUp();
  const [top] = await database.sql<{ policy_id: string }[]>`
    select policy_id from claims group by policy_id order by count(*) desc, policy_id limit 1`;
  assert.ok(top);
  const json = JSON.parse(
    (await runClaims([
      "report",
      "--from",
      FROM,
      "--to",
      TO,
      "--policy",
      top.policy_id,
      "--format",
      "json",
    ], env()))
      .stdout,
  );
  const sums = await sqlSums({ policy: top.policy_id });
  assert.deepEqual({
    claims: json.totals.claims,
    capped: json.totals.cappedClaims,
    payout: json.totals.payout,
  }, sums);
  assert.equal(json.policyId, top.policy_id);

  const csv = await runClaims(["report", "--from", FROM, "--to", TO, "--format", "csv"], env());
  assert.equal(csv.code, ExitCode.OK, csv.stderr);
  const rows: Record<string, string>[] = parse(csv.stdout, { columns: true });
  const totalRow = rows.find((r) => r["section"] === "total");
  assert.ok(totalRow);
  const all = await sqlSums();
  assert.equal(Number(totalRow["claims"]), all.claims);
  assert.equal(Number(totalRow["capped_claims"]), all.capped);
  for (const [currency, amount] of Object.entries(all.payout)) {
    assert.equal(totalRow[`payout_${currency}`], amount, currency);
  }
  // Day rows add up to the total row in every column.
  const days = rows.filter((r) => r["section"] === "day");
  assert.equal(days.reduce((n, r) => n + Number(r["claims"]), 0), all.claims);

  const table = await runClaims(["report", "--from", FROM, "--to", TO], env());
  assert.equal(table.code, ExitCode.OK);
  const totalLine = table.stdout.split("\n").find((l) => l.startsWith("total"));
  assert.ok(totalLine, table.stdout);
  assert.ok(totalLine.includes(` ${all.claims} `), totalLine);
  for (const amount of Object.values(all.payout)) assert.ok(totalLine.includes(amount), totalLine);
});

test("a range with nothing in it says so; bad flags are usage errors (exit 2)", async () => {
  await setUp();
  const empty = await runClaims(["report", "--from", "2030-01-01", "--to", "2030-01-31"], env());
  assert.equal(empty.code, ExitCode.OK);
  assert.match(empty.stdout, /no computed policy-days and no claims/);
  const cases: [string[], RegExp][] = [
    [["--from", "2025-13-01", "--to", TO], /--from must be an existing YYYY-MM-DD date/],
    [["--from", TO, "--to", FROM], /--from 2025-09-08 is after --to 2025-09-01/],
    [["--from", FROM, "--to", TO, "--format", "xml"], /--format must be one of table, json, csv/],
    [["--from", FROM, "--to", TO, "--policy", "a:b"], /--policy must be an id/],
    [["--to", TO], /required option '--from <date>'/],
  ];
  for (const [flags, expected] of cases) {
    const run = await runClaims(["report", ...flags], env());
    assert.equal(run.code, ExitCode.INVALID, flags.join(" "));
    assert.match(run.stderr, expected);
  }
});
