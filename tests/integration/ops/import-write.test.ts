/**
 * Writing imports: the same data as JSON, JSON Lines and CSV gives identical rows; a second
 * import changes nothing and says so; a database failure half-way leaves nothing behind; and
 * `events import` names exactly the policy-days (each policy's own local date) it affects.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { ExitCode } from "../../../src/cli/io.ts";
import { cliEnv, runClaims } from "./support/cli.ts";
import {
  event,
  policy,
  toJsonLines,
  useTempDir,
  writeAllFormats,
  writeFile,
} from "./support/files.ts";
import { snapshot } from "./support/snapshot.ts";

const database = useTestDatabase("ops_import_write");
const tmp = useTempDir("import-write");
const env = () => cliEnv(database.url);

async function importOk(kind: "policies" | "events", file: string) {
  const run = await runClaims([kind, "import", file, "--json"], env());
  assert.equal(run.code, ExitCode.OK, run.stderr);
  return JSON.parse(run.stdout);
}

test("the same data as JSON, JSON Lines and CSV gives identical rows; re-imports change nothing", async () => {
  const policies = [
    policy("F1", {
      region: 'Coast, "north"',
      timezone: "Asia/Kathmandu",
      sumInsured: 1_000_000_000_000,
    }),
    policy("F2", { payoutMode: "per_event", currency: "JPY", periodCapBps: 1 }),
    // timezone absent: defaults to UTC in every format (an empty CSV cell is an absent field).
    (({ timezone: _tz, ...rest }) => rest)(policy("F3")),
  ];
  const events = [
    event("EV1", { source: "gauge, 7", value: 12.5 }),
    event("EV2", { tier: "tier3", observedAt: "2025-03-10T23:30:00+05:45", status: "retracted" }),
    (({ status: _s, ...rest }) => rest)(event("EV3", { value: -0.25 })),
  ];
  const p = writeAllFormats(tmp.path, "same-policies", "policies", policies);
  const e = writeAllFormats(tmp.path, "same-events", "events", events);

  const first = await importOk("policies", p.json);
  assert.deepEqual([first.inserted, first.updated, first.unchanged], [3, 0, 0]);
  const firstEvents = await importOk("events", e.json);
  assert.deepEqual([firstEvents.inserted, firstEvents.updated, firstEvents.unchanged], [3, 0, 0]);
  const after = await snapshot(database.sql);
  assert.equal(after.policies.length, 3);
  assert.deepEqual(after.policies.map((r) => (r as { timezone: string }).timezone), [
    "Asia/Kathmandu",
    "UTC",
    "UTC",
  ]);

  for (const file of [p.jsonl, p.csv, p.json]) {
    const again = await importOk("policies", file);
    assert.deepEqual([again.inserted, again.updated, again.unchanged], [0, 0, 3], file);
  }
  for (const file of [e.jsonl, e.csv, e.json]) {
    const again = await importOk("events", file);
    assert.deepEqual([again.inserted, again.updated, again.unchanged], [0, 0, 3], file);
    assert.deepEqual(again.affected, [], file);
  }
  const text = await runClaims(["policies", "import", p.csv], env());
  assert.match(
    text.stdout,
    /3 rows: 0 inserted, 0 updated, 3 unchanged \(nothing changed: already imported\)/,
  );
  assert.deepEqual(await snapshot(database.sql), after);

  const changed = writeFile(
    tmp.path,
    "changed.jsonl",
    toJsonLines([
      policy("F2", { payoutMode: "per_event", currency: "JPY", periodCapBps: 2 }),
      policy("F4"),
    ]),
  );
  const update = await importOk("policies", changed);
  assert.deepEqual([update.inserted, update.updated, update.unchanged], [1, 1, 0]);
});

test("a database failure half-way through an import leaves nothing written", async () => {
  const before = await snapshot(database.sql);
  // Fault injection in the database itself: the 7,000th row is refused by a trigger, after the
  // first batch of 5,000 has been written inside the import's transaction.
  await database.sql.unsafe(`
    create function refuse_boom() returns trigger language plpgsql as $$
    begin
      if new.id = 'BOOM' then raise exception 'injected failure for %', new.id; end if;
      return new;
    end $$;
    create trigger refuse_boom before insert on policies for each row execute function refuse_boom();`);
  try {
    const rows = Array.from({ length: 7_000 }, (_, i) => policy(`T${String(i).padStart(5, "0")}`));
    rows[6_999] = policy("BOOM");
    const file = writeFile(tmp.path, "boom.jsonl", toJsonLines(rows));
    const run = await runClaims(["policies", "import", file], env());
    assert.equal(run.code, ExitCode.FAILED, run.stderr);
    assert.match(
      run.stderr,
      /importing boom\.jsonl failed, nothing was written: .*injected failure for BOOM/,
    );
    assert.deepEqual(await snapshot(database.sql), before);
  } finally {
    await database.sql.unsafe(`drop trigger refuse_boom on policies; drop function refuse_boom();`);
  }
});

test("events import lists each affected policy's own local date, old and new version of a change", async () => {
  const policies = [
    // 2025-03-10T11:30Z is 03-11 01:30 in Kiritimati (+14), 03-09 23:30 at UTC-12, 17:15 in Kathmandu.
    policy("Z-KIRI", { region: "north", timezone: "Pacific/Kiritimati" }),
    policy("Z-M12", { region: "north", timezone: "Etc/GMT+12" }),
    policy("Z-KTM", { region: "north", timezone: "Asia/Kathmandu" }),
    // Coverage ends the day before the event's local date: not affected.
    policy("Z-ENDED", { region: "north", timezone: "UTC", coverageEnd: "2025-03-09" }),
    // Another region: not affected.
    policy("Z-SOUTH", { region: "south", timezone: "UTC" }),
  ];
  await importOk("policies", writeFile(tmp.path, "zones.jsonl", toJsonLines(policies)));

  const first = await importOk(
    "events",
    writeFile(
      tmp.path,
      "zones-events.jsonl",
      toJsonLines([
        event("N1", { region: "north", observedAt: "2025-03-10T11:30:00Z" }),
        // Retracted from the start: it can never produce a claim, so it affects nothing.
        event("N2", { region: "north", observedAt: "2025-03-20T11:30:00Z", status: "retracted" }),
      ]),
    ),
  );
  assert.deepEqual(first.affected, [
    { policyId: "Z-KIRI", claimDate: "2025-03-11" },
    { policyId: "Z-KTM", claimDate: "2025-03-10" },
    { policyId: "Z-M12", claimDate: "2025-03-09" },
  ]);
  assert.equal(first.recalculation, null);

  // A correction moves N1 by a week: the days of the old and of the new version are affected.
  const moved = await importOk(
    "events",
    writeFile(
      tmp.path,
      "zones-moved.jsonl",
      toJsonLines([
        event("N1", { region: "north", observedAt: "2025-03-17T11:30:00Z" }),
      ]),
    ),
  );
  assert.deepEqual([moved.inserted, moved.updated, moved.unchanged], [0, 1, 0]);
  assert.deepEqual(
    moved.affected.map((d: { policyId: string; claimDate: string }) =>
      `${d.policyId} ${d.claimDate}`
    ),
    [
      "Z-KIRI 2025-03-11",
      "Z-KIRI 2025-03-18",
      "Z-KTM 2025-03-10",
      "Z-KTM 2025-03-17",
      "Z-M12 2025-03-09",
      "Z-M12 2025-03-16",
    ],
  );

  const text = await runClaims(
    [
      "events",
      "import",
      writeFile(
        tmp.path,
        "zones-text.jsonl",
        toJsonLines([
          event("N1", { region: "north", observedAt: "2025-03-17T11:30:00Z", tier: "tier2" }),
        ]),
      ),
    ],
    env(),
  );
  assert.equal(text.code, ExitCode.OK, text.stderr);
  assert.match(text.stdout, /1 rows: 0 inserted, 1 updated, 0 unchanged/);
  assert.match(
    text.stdout,
    /3 policy-days affected:\n {2}Z-KIRI 2025-03-18\n {2}Z-KTM 2025-03-17\n {2}Z-M12 2025-03-16\n/,
  );
  assert.match(
    text.stdout,
    /not recalculated: pass --recalculate to start them, or run `claims rerun --all --from 2025-03-16 --to 2025-03-18`/,
  );
});
