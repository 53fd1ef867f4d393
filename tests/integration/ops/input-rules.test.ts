/**
 * Issue 24, point 4, as a user meets it: the CLI as a real process on files that break each
 * input rule of docs/imports.md (supported dates and instants, control characters, lone
 * surrogates, exact integers, duplicate keys, nesting depth, the JSON Lines line cap) in every
 * format that can express the break. Each file is refused with exit 2, every bad row named
 * with its field, and nothing written. `verify` names a bad policy already stored and checks
 * the others; `report --format csv` neutralises a formula in a region.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { computePolicyDays } from "./support/compute-policy-days.ts";
import { cliEnv, runClaims, runClaimsProcess } from "./support/cli.ts";
import { event, policy, toCsv, useTempDir, writeFile } from "./support/files.ts";
import { snapshot } from "./support/snapshot.ts";

const database = useTestDatabase("input_rules");
const tmp = useTempDir("input-rules");
const env = () => cliEnv(database.url);

const json = (value: unknown) => JSON.stringify(value);
/** One JSON Lines line longer than the 1 MiB cap (a `source` of 1.1 million characters). */
const overlongLine = (id: string) => json(event(id, { source: "x".repeat(1_100_000) }));
const nested = (depth: number) => "[".repeat(depth) + "1" + "]".repeat(depth);

/** Runs the import as a process and checks exit 2, every row named, the store unchanged. */
async function refused(
  argv: string[],
  expected: readonly (RegExp | string)[],
  head?: RegExp,
): Promise<string> {
  const before = await snapshot(database.sql);
  const run = await runClaimsProcess(argv, env());
  assert.equal(run.code, 2, run.stdout + run.stderr);
  if (head) assert.match(run.stderr, head);
  for (const line of expected) {
    if (typeof line === "string") {
      assert.ok(run.stderr.includes(line), `${line}\n---\n${run.stderr}`);
    } else assert.match(run.stderr, line);
  }
  assert.deepEqual(await snapshot(database.sql), before);
  return run.stderr;
}

test("policies, JSON Lines: every rule broken on its own row, each row and field named", async () => {
  const lines = [
    json(policy("P-OK-1")),
    json(policy("P-R2", { coverageStart: "0001-01-01", coverageEnd: "9999-12-31" })),
    json(policy("P-R3", { region: "coa\u0000stal" })),
    json(policy("P-R4")).replace('"sumInsured":1000000', '"sumInsured":1000000.00000000001'),
    json(policy("P-R5")).replace('"id":"P-R5"', '"id":"P-R5","id":"P-R5b"'),
    json(policy("P-R6")).replace('"region":"coastal"', '"region":"\\ud800"'),
    json(policy("P-R7")).replace('"tier1":1000', `"tier1":${nested(7)}`),
    json(policy("P-R8", { region: "r".repeat(1_100_000) })),
    json(policy("P-OK-2")),
  ];
  const file = writeFile(tmp.path, "policies-rules.jsonl", lines.join("\n") + "\n");
  await refused(["policies", "import", file], [
    'row 2: coverageStart: must be a date from 0002-01-01 to 9998-12-31 (the supported range), got "0001-01-01"',
    'row 2: coverageEnd: must be a date from 0002-01-01 to 9998-12-31 (the supported range), got "9999-12-31"',
    "row 3: region: must not contain control characters (U+0000-U+001F, U+007F-U+009F): U+0000 at character 4",
    "row 4: sumInsured: must be an integer amount in minor units from 1 to 1000000000000, got 1000000.00000000001",
    'row 5: id: the key "id" appears more than once in one object',
    "row 6: region: must be well-formed Unicode: a lone surrogate U+D800",
    /row 7: tierPayoutsBps\.tier1(\[0\])+: nested deeper than 8 levels/,
    /row 8: the line has 1100\d{3} bytes, more than the limit of 1048576 bytes/,
  ], /7 invalid policies of 9 \(8 problems\); nothing was written/);
});

test("events, JSON Lines: instants outside the range, controls, surrogates, duplicates, nesting, a long line", async () => {
  const lines = [
    json(event("E-R1", { observedAt: "9999-12-31T23:59:59-14:00" })),
    json(event("E-R2", { source: "gauge\u0001" })),
    json(event("E-R3", { region: "\u0085coastal" })),
    json(event("E-R4")).replace('"tier":"tier1"', '"tier":"tier1","tier":"tier3"'),
    json(event("E-R5", { source: "x" })).replace('"source":"x"', '"source":"\\udc00"'),
    json(event("E-R6")).replace('"status":"active"', `"status":"active","value":${nested(8)}`),
    overlongLine("E-R7"),
    json(event("E-OK")),
  ];
  const file = writeFile(tmp.path, "events-rules.jsonl", lines.join("\n") + "\n");
  await refused(["events", "import", file], [
    'row 1: observedAt: must be an instant on a UTC date from 0002-01-01 to 9998-12-31 (the supported range), got "9999-12-31T23:59:59-14:00"',
    "row 2: source: must not contain control characters (U+0000-U+001F, U+007F-U+009F): U+0001",
    "row 3: region: must not contain control characters (U+0000-U+001F, U+007F-U+009F): U+0085",
    'row 4: tier: the key "tier" appears more than once in one object',
    "row 5: source: must be well-formed Unicode: a lone surrogate U+DC00",
    /row 6: value(\[0\])+: nested deeper than 8 levels/,
    /row 7: the line has \d+ bytes, more than the limit of 1048576 bytes/,
  ], /7 invalid events of 8/);
});

test("a JSON array: the same rules per row; nesting stops the read, naming the row and field", async () => {
  const rows = [
    json(policy("P-A1")),
    json(policy("P-A2", { coverageEnd: "9999-01-01" })),
    json(policy("P-A3")).replace('"periodCapBps":6000', '"periodCapBps":6000.0000000000001'),
    json(policy("P-A4")).replace('"currency":"EUR"', '"currency":"EUR","currency":"USD"'),
    json(policy("P-A5", { region: "co\u007fastal" })),
  ];
  const file = writeFile(tmp.path, "policies-rules.json", `[\n${rows.join(",\n")}\n]\n`);
  await refused(["policies", "import", file], [
    "row 2: coverageEnd: must be a date from 0002-01-01 to 9998-12-31",
    "row 3: periodCapBps: must be an integer number of basis points from 1 to 10000, got 6000.0000000000001",
    'row 4: currency: the key "currency" appears more than once in one object',
    "row 5: region: must not contain control characters (U+0000-U+001F, U+007F-U+009F): U+007F",
  ], /4 invalid policies of 5/);

  const deep = writeFile(
    tmp.path,
    "policies-deep.json",
    `[${json(policy("P-D1"))},${
      json(policy("P-D2")).replace('"tier2":2500', `"tier2":${nested(200_000)}`)
    }]`,
  );
  await refused(["policies", "import", deep], [
    /^error: policies-deep\.json: row 2: tierPayoutsBps\.tier2(\[0\])+: nested deeper than 8 levels of arrays and objects \(the limit for JSON input\)$/m,
  ]);
});

test("CSV: dates, instants, controls and inexact numbers; an exact 1e6 is read as 1000000", async () => {
  const policies = toCsv("policies", [
    policy("P-C1", { coverageStart: "0001-12-31" }),
    policy("P-C2", { region: "a\u0000b" }),
    policy("P-C3"),
  ]).replace("P-C3,coastal,EUR,1000000,", "P-C3,coastal,EUR,1000000.00000000001,");
  await refused(["policies", "import", writeFile(tmp.path, "policies-rules.csv", policies)], [
    "row 1 (line 2): coverageStart: must be a date from 0002-01-01 to 9998-12-31",
    "row 2 (line 3): region: must not contain control characters",
    "row 3 (line 4): sumInsured: must be an integer amount in minor units from 1 to 1000000000000, got 1000000.00000000001",
  ]);
  const exact = toCsv("policies", [policy("P-C4")]).replace(",1000000,", ",1e6,");
  const run = await runClaimsProcess(
    ["policies", "import", writeFile(tmp.path, "exact.csv", exact), "--dry-run"],
    env(),
  );
  assert.equal(run.code, 0, run.stderr);

  const events = toCsv("events", [
    event("E-C1", { observedAt: "0001-01-01T00:00:00Z" }),
    event("E-C2", { source: "line\nbreak" }),
  ]);
  await refused(["events", "import", writeFile(tmp.path, "events-rules.csv", events)], [
    "row 1 (line 2): observedAt: must be an instant on a UTC date from 0002-01-01 to 9998-12-31",
    "row 2 (line 3): source: must not contain control characters (U+0000-U+001F, U+007F-U+009F): U+000A",
  ]);
});

test("calc --input: each rule named by its path; nesting named where it happens", async () => {
  const input = json({
    policy: policy("P-CALC", { coverageStart: "0001-01-01", region: "x\u0000" }),
    events: [
      event("E-CALC-1", { region: "x\u0000" }),
      event("E-CALC-2", { observedAt: "0001-01-01T00:00:00Z" }),
    ],
  }).replace('"sumInsured":1000000', '"sumInsured":1000000.00000000001')
    .replace('"id":"E-CALC-1"', '"id":"E-CALC-1","id":"E-CALC-9"')
    .replace(
      '"tier":"tier1","observedAt":"0001',
      '"tier":"tier1","source":"\\ud800","observedAt":"0001',
    );
  const file = writeFile(tmp.path, "calc-rules.json", input);
  const run = await runClaimsProcess(["calc", "--input", file], env());
  assert.equal(run.code, 2, run.stderr);
  assert.equal(run.stdout, "");
  assert.match(run.stderr, /^events\[0\]\.id: the key "id" appears more than once in one object/m);

  // Without the duplicate key, the schema's rules (the reader's come first).
  const noDuplicate = writeFile(
    tmp.path,
    "calc-rules-2.json",
    input.replace('"id":"E-CALC-1","id":"E-CALC-9"', '"id":"E-CALC-1"'),
  );
  const second = await runClaimsProcess(["calc", "--input", noDuplicate], env());
  assert.equal(second.code, 2, second.stderr);
  for (
    const line of [
      /^policy\.region: must not contain control characters/m,
      /^policy\.sumInsured: must be an integer amount .*got 1000000\.00000000001$/m,
      /^policy\.coverageStart: must be a date from 0002-01-01 to 9998-12-31/m,
      /^events\[0\]\.region: must not contain control characters/m,
      /^events\[1\]\.source: must be well-formed Unicode: a lone surrogate U\+D800/m,
      /^events\[1\]\.observedAt: must be an instant on a UTC date from 0002-01-01/m,
    ]
  ) assert.match(second.stderr, line);

  const deep = writeFile(tmp.path, "calc-deep.json", `{"policy":${nested(200_000)},"events":[]}`);
  const third = await runClaimsProcess(["calc", "--input", deep], env());
  assert.equal(third.code, 2, third.stderr);
  assert.match(third.stderr, /^policy(\[0\])+: nested deeper than 8 levels/m);
});

test("verify names a stored policy outside the supported range and goes on checking the others", async () => {
  const good = await runClaims(
    ["policies", "import", writeFile(tmp.path, "good.jsonl", json(policy("P-GOOD")) + "\n")],
    env(),
  );
  assert.equal(good.code, 0, good.stderr);
  // Written before imports checked the range (or by hand): the audit's 0001-01-01..9999-12-31.
  await database.sql`
    insert into policies (id, region, currency, sum_insured, timezone, coverage_start, coverage_end,
      payout_mode, tier1_bps, tier2_bps, tier3_bps, period_cap_bps)
    values ('P-ANCIENT', 'coastal', 'EUR', 1000000, 'UTC', '0001-01-01', '9999-12-31',
      'once_per_day', 1000, 2500, 5000, 6000)`;
  await database.sql`
    insert into risk_events (id, region, tier, observed_at, status)
    values ('E-V1', 'coastal', 'tier1', '2025-03-10T12:00:00Z', 'active')`;
  const run = await runClaimsProcess(["verify"], env());
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(run.stderr, "");
  assert.match(
    run.stdout,
    /^invalid_policy P-ANCIENT: coverageStart 0001-01-01 is outside the supported range 0002-01-01 to 9998-12-31; coverageEnd 9999-12-31 is outside the supported range .*; its claims and ledger rows were not checked/m,
  );
  // The other policy is still checked: its day with an event was never computed.
  assert.match(
    run.stdout,
    /^ledger_gap P-GOOD 2025-03-10: 1 relevant event\(s\) but the day was never computed/m,
  );
  assert.match(
    run.stdout,
    /verify: FAILED: 3 problem\(s\) \(1 difference, 1 ledger gap, 1 invalid policy\); 2 policies/,
  );
  await database.sql`delete from risk_events where id = 'E-V1'`;
  await database.sql`delete from policies where id in ('P-ANCIENT', 'P-GOOD')`;
});

test("report --format csv: a region that is a formula is neutralised; JSON keeps the text", async () => {
  const region = '=HYPERLINK("http://evil.example","x")';
  const files: [string, string][] = [
    ["policies", writeFile(tmp.path, "formula-p.jsonl", json(policy("P-F1", { region })) + "\n")],
    ["events", writeFile(tmp.path, "formula-e.jsonl", json(event("E-F1", { region })) + "\n")],
  ];
  for (const [kind, file] of files) {
    const run = await runClaims([kind, "import", file], env());
    assert.equal(run.code, 0, run.stderr);
  }
  await computePolicyDays(database.db, "2025-03-10", "2025-03-10", ["P-F1"]);
  const csv = await runClaimsProcess(
    ["report", "--from", "2025-03-10", "--to", "2025-03-10", "--format", "csv"],
    env(),
  );
  assert.equal(csv.code, 0, csv.stderr);
  assert.match(
    csv.stdout,
    /\r\nregion,"'=HYPERLINK\(""http:\/\/evil\.example"",""x""\)",1,1,0,100000\r\n/,
  );
  assert.doesNotMatch(csv.stdout, /(^|,)=HYPERLINK/m);
  const asJson = await runClaimsProcess(
    ["report", "--from", "2025-03-10", "--to", "2025-03-10", "--format", "json"],
    env(),
  );
  assert.equal(asJson.code, 0, asJson.stderr);
  assert.equal(JSON.parse(asJson.stdout).regions[0].region, region);
});
