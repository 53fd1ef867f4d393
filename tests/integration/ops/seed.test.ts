/**
 * `claims seed`: the same flags give the same data (the table contents hash the same), the
 * generator is pure and holds its promises (valid rows, zone mix, late records), and a seeded
 * store whose every policy-day is computed verifies clean.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "../../support/test.ts";
import { createTestDatabase, dropTestDatabase, useTestDatabase } from "../../support/database.ts";
import { ExitCode } from "../../../src/cli/io.ts";
import { instantMs, parseEvent, parsePolicy } from "../../../src/domain/schemas.ts";
import { zoneOffsetMs } from "../../../src/domain/calendar.ts";
import { generateSeed } from "../../../src/seed/generate.ts";
import { cliEnv, runClaims } from "./support/cli.ts";
import { computePolicyDays } from "./support/compute-policy-days.ts";
import { useTempDir } from "./support/files.ts";
import { hashOf, snapshot } from "./support/snapshot.ts";

const database = useTestDatabase("ops_seed");
const tmp = useTempDir("seed");
const FLAGS = [
  "--policies",
  "40",
  "--days",
  "12",
  "--events-per-day",
  "3",
  "--seed",
  "s-42",
  "--start",
  "2025-03-25",
];

test("the generator is pure: same options, same data; every row valid; a real mix", () => {
  const options = { policies: 3000, days: 60, eventsPerDay: 4, seed: "mix" };
  const a = generateSeed(options);
  const b = generateSeed(options);
  const policies = [...a.policies()];
  assert.equal(hashOf(policies), hashOf([...b.policies()]));
  assert.equal(hashOf([...a.events()]), hashOf([...b.events()]));
  assert.notEqual(
    hashOf(policies),
    hashOf([...generateSeed({ ...options, seed: "other" }).policies()]),
  );
  // Changing the event volume leaves the policies alone (separate PRNG streams).
  assert.equal(
    hashOf(policies),
    hashOf([...generateSeed({ ...options, eventsPerDay: 9 }).policies()]),
  );

  for (const p of policies) assert.ok(parsePolicy(p).ok, JSON.stringify(p));
  assert.equal(new Set(policies.map((p) => p.id)).size, policies.length);
  const zones = new Set(policies.map((p) => p.timezone));
  const jan = Date.UTC(2025, 0, 15);
  const jul = Date.UTC(2025, 6, 15);
  const offsets = [...zones].map((z) => zoneOffsetMs(jan, z) / 60_000);
  assert.ok(offsets.includes(-720), "UTC-12");
  assert.ok(offsets.includes(840), "UTC+14");
  assert.ok(offsets.some((o) => o % 60 === 30 || o % 60 === -30), "a :30 offset");
  assert.ok(offsets.some((o) => Math.abs(o % 60) === 45), "a :45 offset");
  assert.ok([...zones].some((z) => zoneOffsetMs(jan, z) !== zoneOffsetMs(jul, z)), "a DST zone");
  assert.deepEqual(
    new Set(policies.map((p) => p.payoutMode)),
    new Set(["once_per_day", "per_event"]),
  );
  assert.ok(policies.some((p) => p.sumInsured === 1_000_000_000_000));

  let late = 0, corrections = 0, retracted = 0, total = 0;
  for (const { onTime, late: lateVersion } of a.events()) {
    total++;
    for (const e of [onTime, lateVersion]) if (e) assert.ok(parseEvent(e).ok, JSON.stringify(e));
    if (lateVersion) late++;
    if (onTime && lateVersion) {
      corrections++;
      assert.equal(onTime.id, lateVersion.id);
      assert.notDeepEqual(onTime, lateVersion);
    }
    if ((lateVersion ?? onTime)!.status === "retracted") retracted++;
    const observed = instantMs((lateVersion ?? onTime)!.observedAt);
    assert.ok(observed >= Date.UTC(2025, 0, 1) && observed < Date.UTC(2025, 2, 2));
  }
  assert.equal(total, 60 * 5 * 4);
  assert.ok(late > 0 && corrections > 0 && retracted > 0, `${late} ${corrections} ${retracted}`);
});

test("seed twice with the same flags: identical table contents; every day computed verifies clean", async () => {
  const env = cliEnv(database.url);
  const first = await runClaims(["seed", ...FLAGS, "--json"], env);
  assert.equal(first.code, ExitCode.OK, first.stderr);
  const result = JSON.parse(first.stdout);
  assert.equal(result.policies.inserted, 40);
  assert.equal(result.events.inserted, result.events.written);
  const contents = hashOf(await snapshot(database.sql));

  // A second run into the same database changes nothing …
  const again = await runClaims(["seed", ...FLAGS, "--json"], env);
  assert.equal(again.code, ExitCode.OK, again.stderr);
  const second = JSON.parse(again.stdout);
  assert.deepEqual([second.policies.inserted, second.policies.updated], [0, 0]);
  assert.deepEqual([second.events.inserted, second.events.updated], [0, 0]);
  assert.equal(second.dataHash, result.dataHash);
  assert.equal(hashOf(await snapshot(database.sql)), contents);

  // … and a fresh database seeded with the same flags holds byte-identical rows.
  const other = await createTestDatabase("ops_seed_twin");
  try {
    const twin = await runClaims(["seed", ...FLAGS], cliEnv(other.url));
    assert.equal(twin.code, ExitCode.OK, twin.stderr);
    assert.match(twin.stdout, /policies: 40 \(40 inserted, 0 updated, 0 unchanged\)/);
    assert.equal(hashOf(await snapshot(other.sql)), contents);
  } finally {
    await other.close();
    await dropTestDatabase(other.name);
  }

  const computed = await computePolicyDays(database.db, "2025-03-25", "2025-04-05");
  assert.ok(computed > 100, `${computed} policy-days computed`);
  const verify = await runClaims(["verify"], env);
  assert.equal(verify.code, ExitCode.OK, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /^verify: OK: 40 policies, \d+ policy-days, \d+ claims checked/m);
});

test("--late-file holds late records back; importing them gives the same store as seeding without", async () => {
  const withLate = await createTestDatabase("ops_seed_late");
  const without = await createTestDatabase("ops_seed_nolate");
  try {
    const lateFile = path.join(tmp.path, "late.jsonl");
    const flags = ["--policies", "10", "--days", "60", "--events-per-day", "5", "--seed", "late"];
    const held = await runClaims(
      ["seed", ...flags, "--late-file", lateFile, "--json"],
      cliEnv(withLate.url),
    );
    assert.equal(held.code, ExitCode.OK, held.stderr);
    const heldResult = JSON.parse(held.stdout);
    const lines = fs.readFileSync(lateFile, "utf8").trim().split("\n");
    assert.equal(lines.length, heldResult.late.records);
    assert.ok(lines.length > 0);
    assert.ok(!fs.readdirSync(tmp.path).some((f) => f.endsWith(".tmp")), "no temporary file left");

    const full = await runClaims(["seed", ...flags], cliEnv(without.url));
    assert.equal(full.code, ExitCode.OK, full.stderr);
    assert.notEqual(
      hashOf((await snapshot(withLate.sql)).events),
      hashOf((await snapshot(without.sql)).events),
    );

    const imported = await runClaims(
      ["events", "import", lateFile, "--json"],
      cliEnv(withLate.url),
    );
    assert.equal(imported.code, ExitCode.OK, imported.stderr);
    const counts = JSON.parse(imported.stdout);
    assert.equal(counts.inserted + counts.updated, lines.length);
    assert.ok(counts.updated > 0, "corrections of earlier events");
    assert.equal(hashOf(await snapshot(withLate.sql)), hashOf(await snapshot(without.sql)));
  } finally {
    for (const db of [withLate, without]) {
      await db.close();
      await dropTestDatabase(db.name);
    }
  }
});

test("bad seed flags are usage errors naming the flag (exit 2)", async () => {
  const env = cliEnv(database.url);
  const cases: [string[], RegExp][] = [
    [
      ["--policies", "-1", "--days", "5", "--events-per-day", "1", "--seed", "x"],
      /--policies must be an integer/,
    ],
    [["--policies", "1", "--days", "5", "--events-per-day", "1"], /required option '--seed <s>'/],
    [
      [
        "--policies",
        "1",
        "--days",
        "5",
        "--events-per-day",
        "1",
        "--seed",
        "x",
        "--regions",
        "a,a",
      ],
      /--regions: regions must be distinct/,
    ],
    [[
      "--policies",
      "1",
      "--days",
      "5",
      "--events-per-day",
      "1",
      "--seed",
      "x",
      "--regions",
      "bad:region",
    ], /--regions: region must be/],
    [[
      "--policies",
      "1",
      "--days",
      "5",
      "--events-per-day",
      "1",
      "--seed",
      "x",
      "--start",
      "2025-02-30",
    ], /--start must be an existing/],
  ];
  for (const [flags, expected] of cases) {
    const run = await runClaims(["seed", ...flags], env);
    assert.equal(run.code, ExitCode.INVALID, `${flags.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, expected);
  }
});
