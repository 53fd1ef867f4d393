/**
 * Import files that must be refused: bad rows (named by row, field and rule; nothing written),
 * duplicate ids, and files that are not what they claim (missing, empty, not UTF-8, not JSON,
 * a bad CSV header). Plus the law that JSON, JSON Lines and CSV read back to the same rows.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { ExitCode } from "../../../src/cli/io.ts";
import { parsePolicy, type PolicyInput } from "../../../src/domain/schemas.ts";
import { readRecords } from "../../../src/imports/read-records.ts";
import { validateImportFile } from "../../../src/imports/validate-file.ts";
import { cliEnv, runClaims } from "./support/cli.ts";
import {
  event,
  policy,
  toCsv,
  toJsonLines,
  useTempDir,
  writeAllFormats,
  writeFile,
} from "./support/files.ts";
import { snapshot } from "./support/snapshot.ts";

const database = useTestDatabase("ops_import_files");
const tmp = useTempDir("import-files");
const env = () => cliEnv(database.url);

const manyPolicies = (n: number) =>
  Array.from({ length: n }, (_, i) => policy(`P${String(i + 1).padStart(4, "0")}`));

/** Imports a valid base so that "writes nothing" is checked against a non-empty store. */
async function seedBase(): Promise<void> {
  const file = writeFile(tmp.path, "base.jsonl", toJsonLines(manyPolicies(5)));
  const run = await runClaims(["policies", "import", file], env());
  assert.equal(run.code, ExitCode.OK, run.stderr);
}

test("one bad row among 300 valid ones: exit 2, the row, field and rule are named, nothing written", async () => {
  await seedBase();
  const before = await snapshot(database.sql);
  const rows = manyPolicies(300);
  rows[136] = policy("P0137", { tierPayoutsBps: { tier1: 1000, tier2: 2500, tier3: 2400 } });
  const files = writeAllFormats(tmp.path, "one-bad", "policies", rows);

  const csv = await runClaims(["policies", "import", files.csv], env());
  assert.equal(csv.code, ExitCode.INVALID);
  assert.match(
    csv.stderr,
    /row 137 \(line 138\): tierPayoutsBps\.tier3: must be >= tier2 \(2500\), got 2400/,
  );
  assert.match(csv.stderr, /1 invalid policy of 300 \(1 problem\); nothing was written/);

  const json = await runClaims(["policies", "import", files.json], env());
  assert.equal(json.code, ExitCode.INVALID);
  assert.match(json.stderr, /row 137: tierPayoutsBps\.tier3: must be >= tier2 \(2500\), got 2400/);

  const jsonl = await runClaims(["policies", "import", files.jsonl, "--json"], env());
  assert.equal(jsonl.code, ExitCode.INVALID);
  const report = JSON.parse(jsonl.stdout);
  assert.equal(report.ok, false);
  assert.deepEqual(report.problems, [{
    row: 137,
    line: 137,
    field: "tierPayoutsBps.tier3",
    message: "must be >= tier2 (2500), got 2400",
  }]);

  assert.deepEqual(await snapshot(database.sql), before);
});

test("every kind of bad field is reported with its row; at most 50 listed, the rest counted", async () => {
  const before = await snapshot(database.sql);
  const rows: unknown[] = manyPolicies(80).map((p, i) => i < 60 ? { ...p, currency: "eur" } : p);
  rows.push({ ...policy("X1"), coverageEnd: "2025-02-30" });
  rows.push({ ...policy("X2"), timezone: "Mars/Olympus" });
  rows.push({ ...policy("X3"), bogus: 1 });
  rows.push("not an object");
  const file = writeFile(tmp.path, "many-bad.json", JSON.stringify(rows));
  const run = await runClaims(["policies", "import", file], env());
  assert.equal(run.code, ExitCode.INVALID);
  assert.match(
    run.stderr,
    /row 1: currency: must be 3 upper-case letters \(e\.g\. EUR\), got "eur"/,
  );
  assert.match(run.stderr, /… and 14 more problem\(s\) not listed/);
  assert.equal(run.stderr.split("\n").filter((l) => /^ {2}row \d+/.test(l)).length, 50);

  const validation = await validateImportFile(file, "policies");
  assert.equal(validation.invalidRows, 64);
  const tail = await validateImportFile(file, "policies", 1000);
  // The rule texts are the domain's; what matters here is that row, field and value arrive.
  const messages = tail.problems.slice(60).map((p) => `${p.row} ${p.field}: ${p.message}`);
  assert.equal(messages.length, 4);
  assert.match(messages[0]!, /^81 coverageEnd: .*"2025-02-30"/);
  assert.match(messages[1]!, /^82 timezone: .*"Mars\/Olympus"/);
  assert.match(messages[2]!, /^83 .*bogus/);
  assert.match(messages[3]!, /^84 : must be a policy object, got "not an object"/);
  assert.deepEqual(await snapshot(database.sql), before);
});

test("duplicate ids in one file are an error naming both rows", async () => {
  const before = await snapshot(database.sql);
  const rows = [event("E1"), event("E2"), event("E3"), event("E2", { tier: "tier3" })];
  const file = writeFile(tmp.path, "dupes.csv", toCsv("events", rows));
  const run = await runClaims(["events", "import", file], env());
  assert.equal(run.code, ExitCode.INVALID);
  assert.match(run.stderr, /row 4 \(line 5\): id: duplicate id "E2": row 2 has the same id/);
  assert.deepEqual(await snapshot(database.sql), before);
});

test("a JSON Lines line that is not JSON is a problem of its row, reported with the others", async () => {
  const text = `${JSON.stringify(event("E1"))}\n\n{"id": "E2", oops}\n${
    JSON.stringify(event("E3", { tier: "tier9" as "tier1" }))
  }\n`;
  const file = writeFile(tmp.path, "broken-line.jsonl", text);
  const run = await runClaims(["events", "import", file], env());
  assert.equal(run.code, ExitCode.INVALID);
  assert.match(run.stderr, /row 2 \(line 3\): not valid JSON/);
  assert.match(
    run.stderr,
    /row 3 \(line 4\): tier: must be one of tier1, tier2, tier3, got "tier9"/,
  );
});

test("bad files: each refused with exit 2 and a message saying what is wrong and where", async () => {
  const cases: [string, string | Uint8Array, RegExp][] = [
    ["empty.json", "", /the file is empty/],
    ["blank.json", "  \n ", /holds no JSON/],
    ["no-rows.json", "[]", /holds no policies; nothing was written/],
    ["header-only.csv", toCsv("policies", []), /holds no policies/],
    [
      "object.json",
      '{"id": "P1"}',
      /expected a JSON array of objects, but the file holds an object/,
    ],
    [
      "bad-json.json",
      '[\n  {"id": "P1"},\n  {"id": "P2" "region": "x"}\n]',
      /invalid JSON at line 3, column 15 \(byte 32\)/,
    ],
    ["truncated.json", '[{"id": "P1"}, {"id": "P2"', /the file ends before the array is closed/],
    ["trailing.json", '[{"id": "P1"}] [', /invalid JSON at line 1, column 16/],
    [
      "latin1.csv",
      new Uint8Array([...new TextEncoder().encode("id,region\nP1,S"), 0xe3, 0x6f, 0x0a]),
      /not valid UTF-8: byte 0xe3 at byte offset 14 \(line 2\)/,
    ],
    [
      "missing-column.csv",
      "id,region,currency\nP1,x,EUR\n",
      /bad CSV header: missing column\(s\) sumInsured, coverageStart/,
    ],
    [
      "unknown-column.csv",
      toCsv("policies", []).replace("id,", "id,colour,"),
      /unknown column "colour"/,
    ],
    [
      "ragged.csv",
      toCsv("policies", [policy("P1")]) + "P2,only,three\r\n",
      /invalid CSV: Invalid Record Length: expect 12, got 3 on line 3/,
    ],
    ["policies.txt", "[]", /unknown file type "\.txt": use \.json/],
  ];
  for (const [name, content, expected] of cases) {
    const file = writeFile(tmp.path, name, content);
    const run = await runClaims(["policies", "import", file], env());
    assert.equal(run.code, ExitCode.INVALID, `${name}: ${run.stderr}`);
    assert.match(run.stderr, expected, name);
  }
  const missing = await runClaims(["policies", "import", `${tmp.path}/nope.csv`], env());
  assert.equal(missing.code, ExitCode.INVALID);
  assert.match(missing.stderr, /nope\.csv: file not found/);
});

test("--dry-run validates and writes nothing", async () => {
  const before = await snapshot(database.sql);
  const file = writeFile(
    tmp.path,
    "dry.jsonl",
    toJsonLines(manyPolicies(12).map((p) => ({ ...p, id: `D${p.id}` }))),
  );
  const run = await runClaims(["policies", "import", file, "--dry-run"], env());
  assert.equal(run.code, ExitCode.OK, run.stderr);
  assert.match(run.stdout, /all 12 policies valid \(dry run: nothing written\)/);
  assert.deepEqual(await snapshot(database.sql), before);
});

/** Valid policies with awkward but legal values (commas, quotes, unicode regions, edge numbers). */
const policyArb: fc.Arbitrary<PolicyInput> = fc.record({
  id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/),
  region: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.length <= 64),
  currency: fc.constantFrom("EUR", "USD", "JPY"),
  sumInsured: fc.integer({ min: 1, max: 1_000_000_000_000 }),
  timezone: fc.constantFrom("UTC", "Asia/Kathmandu", "Pacific/Chatham", "Etc/GMT+12"),
  coverageStart: fc.constantFrom("2025-01-01", "2024-02-29"),
  coverageEnd: fc.constantFrom("2025-12-31", "2025-06-30"),
  payoutMode: fc.constantFrom("once_per_day" as const, "per_event" as const),
  tierPayoutsBps: fc.tuple(
    fc.integer({ min: 0, max: 10_000 }),
    fc.integer({ min: 0, max: 10_000 }),
    fc.integer({ min: 0, max: 10_000 }),
  ).map(([a, b, c]) => {
    const [tier1, tier2, tier3] = [a, b, c].sort((x, y) => x - y) as [number, number, number];
    return { tier1, tier2, tier3 };
  }),
  periodCapBps: fc.integer({ min: 1, max: 10_000 }),
});

test("law: JSON, JSON Lines and CSV of the same policies read back to the same rows", async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(policyArb, { minLength: 1, maxLength: 15, selector: (p) => p.id }),
      async (policies) => {
        const files = writeAllFormats(tmp.path, `law-${run++}`, "policies", policies);
        const expected = policies.map((p) => {
          const parsed = parsePolicy(p, "");
          assert.ok(parsed.ok);
          return parsed.value;
        });
        for (const file of Object.values(files)) {
          const rows = [];
          for await (const record of readRecords(file, "policies")) {
            const parsed = parsePolicy(record.value, "");
            assert.ok(parsed.ok, `${file}: ${JSON.stringify(parsed)}`);
            rows.push(parsed.value);
          }
          assert.deepEqual(rows, expected, file);
        }
      },
    ),
    { numRuns: 60 },
  );
});
