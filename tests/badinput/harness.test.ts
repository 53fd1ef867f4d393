/**
 * The bad-input suite's own tools, checked so that a green run means something: the
 * generator is deterministic, large and covers every kind of input of issue 9; the outcome
 * check fails on each broken promise; the database checksum sees any write.
 */
import assert from "node:assert/strict";
import { test } from "../support/test.ts";
import { useTestDatabase } from "../support/database.ts";
import { bigEventsFile, casesOf, generateCases } from "./generate.ts";
import { checksumDifferences, databaseChecksum } from "./support/checksum.ts";
import { outcomeProblems } from "./support/outcome.ts";
import type { CliRun } from "./support/run-cli.ts";

const PASSWORD = "s3cr3t-PASSWORD";
const options = { password: PASSWORD, closedPort: 1 };
const database = useTestDatabase("badinput_harness");

const fingerprint = (cases: ReturnType<typeof generateCases>) =>
  JSON.stringify(cases, (_k, v) => {
    if (v instanceof RegExp) return v.source;
    if (v instanceof Uint8Array) return Array.from(v);
    return v;
  });

test("the generator is deterministic: same seed, same cases; another seed, other files", () => {
  assert.equal(fingerprint(generateCases(options)), fingerprint(generateCases(options)));
  assert.notEqual(
    fingerprint(casesOf(generateCases(options), "file")),
    fingerprint(casesOf(generateCases({ ...options, seed: 7 }), "file")),
  );
});

test("the generator makes over 1,000 cases covering every input of issue 9", () => {
  const cases = generateCases(options);
  assert.ok(cases.length >= 1000, `${cases.length} cases`);
  for (const category of ["file", "calc", "flag", "env"] as const) {
    assert.ok(casesOf(cases, category).length >= 50, `${category} cases`);
  }
  const names = cases.map((c) => c.name).join("\n");
  const wanted: [string, RegExp][] = [
    ["JSON files", /^file\/\w+\/json\//m],
    ["JSON Lines files", /^file\/\w+\/jsonl\//m],
    ["CSV files", /^file\/\w+\/csv\//m],
    ["wrong types", /wrong type/],
    ["missing fields", / missing @row/],
    ["extra columns", /csv\/an extra column/],
    ["extra fields", /unknown field/],
    ["invalid dates", /"2025-02-30"/],
    ["unknown zones", /unknown zone/],
    ["offsets missing", /observedAt = "2025-03-10T12:00:00" /],
    ["duplicate ids", /duplicate id/],
    ["huge numbers", /huge number/],
    ["negative money", /negative money/],
    ["ids with ':'", /id = "P:1"/],
    ["ids with quotes", /id = "P\\"1"/],
    ["ids with SQL", /DROP TABLE/],
    ["non-UTF-8 bytes", /not UTF-8/],
    ["empty files", /empty file/],
    ["reversed ranges", /reversed/],
    ["bad dates in flags", /^flag\/report --from "2025-02-30"/m],
    ["unknown policies", /unknown policy/],
    ["ranges over 10 years", /over 10 years/],
    ["bad URLs", /^env\/DATABASE_URL .*\n?/m],
    ["non-numeric TTLs", /LOCK_TTL_MS="abc"/],
    ["unreachable services", /unreachable/],
  ];
  for (const [what, pattern] of wanted) assert.match(names, pattern, what);
});

test("every case expects 2 or 3, names something specific, and every URL holds the password", () => {
  for (const c of generateCases(options)) {
    assert.ok(c.exitCode === 2 || c.exitCode === 3, c.name);
    assert.ok(!c.message.test(""), `${c.name}: ${c.message} matches an empty message`);
    assert.ok(!c.message.test("error: something went wrong\n"), `${c.name}: ${c.message}`);
    for (const [name, value] of Object.entries(c.env)) {
      if (/:\/\/|@/.test(value)) assert.ok(value.includes(PASSWORD), `${c.name}: ${name}`);
    }
  }
});

test("the outcome check fails on each broken promise", () => {
  const c = generateCases(options).find((x) => x.name.startsWith("env/LOCK_TTL_MS"))!;
  const good: CliRun = {
    code: 2,
    stdout: "",
    stderr: 'error: invalid configuration: LOCK_TTL_MS: must be an integer, got "abc"\n',
    ms: 1,
  };
  assert.deepEqual(outcomeProblems(c, good, PASSWORD), []);
  const broken: [string, Partial<CliRun>, RegExp][] = [
    ["exit 0", { code: 0 }, /exit code 0/],
    ["exit 1", { code: 1 }, /exit code 1/],
    ["a message naming nothing", { stderr: "error: invalid configuration\n" }, /does not match/],
    [
      "a password on stderr",
      { stderr: good.stderr + `postgres://u:${PASSWORD}@h/db\n` },
      /password/,
    ],
    ["a password on stdout", { stdout: PASSWORD }, /stdout shows the password/],
    [
      "a stack trace",
      { stderr: good.stderr + "    at loadConfig (file:///src/config.ts:10:5)\n" },
      /stack trace/,
    ],
    ["output on stdout", { stdout: "{}\n" }, /stdout is not empty/],
  ];
  for (const [what, change, problem] of broken) {
    const problems = outcomeProblems(c, { ...good, ...change }, PASSWORD);
    assert.match(problems.join("\n"), problem, what);
  }
});

test("the database checksum sees an insert, a changed timestamp, a delete and a new table", async () => {
  const sql = database.sql;
  const before = await databaseChecksum(sql);
  const tables = before.map((t) => t.table);
  for (const table of ["public.policies", "public.claims", "drizzle.__drizzle_migrations"]) {
    assert.ok(tables.includes(table), `${table} is checksummed`);
  }
  assert.deepEqual(checksumDifferences(before, await databaseChecksum(sql)), []);
  await sql`
    insert into policies (id, region, currency, sum_insured, timezone, coverage_start,
      coverage_end, payout_mode, tier1_bps, tier2_bps, tier3_bps, period_cap_bps)
    values ('H-1', 'r', 'EUR', 1, 'UTC', '2025-01-01', '2025-01-02', 'per_event', 1, 2, 3, 4)`;
  const inserted = await databaseChecksum(sql);
  assert.match(checksumDifferences(before, inserted).join(), /public\.policies: 0 rows .* 1 rows/);
  await sql`update policies set updated_at = updated_at + interval '1 millisecond'`;
  const touched = await databaseChecksum(sql);
  assert.match(checksumDifferences(inserted, touched).join(), /public\.policies: 1 rows/);
  await sql`delete from policies`;
  assert.deepEqual(checksumDifferences(before, await databaseChecksum(sql)), []);
  await sql`create table public.added_later (id int primary key)`;
  assert.match(
    checksumDifferences(before, await databaseChecksum(sql)).join(),
    /\(tables\): \d+ rows/,
  );
  await sql`drop table public.added_later`;
});

test("the 50 MB plan puts one bad row near the end, and only that one", () => {
  const plan = bigEventsFile(2_000_000, 3);
  assert.ok(plan.badRow > plan.rows * 0.98 && plan.badRow < plan.rows, `${plan.badRow}`);
  const lines = [...plan.chunks()].join("").split("\n").filter(Boolean);
  assert.equal(lines.length, plan.rows);
  const offsetMissing = (line: string) =>
    !/T\d\d:\d\d:\d\d[+-]\d\d:\d\d"/.test(JSON.parse(line).observedAt + '"');
  assert.deepEqual(
    lines.flatMap((line, i) => (offsetMissing(line) ? [i + 1] : [])),
    [plan.badRow],
  );
});
