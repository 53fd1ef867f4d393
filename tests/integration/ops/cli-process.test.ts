/**
 * The operator commands as real processes: exit codes and messages exactly as a shell sees
 * them (0 ok, 1 found problems, 2 invalid input with nothing written, 3 service unavailable).
 * Processes are slow to start, so only exit codes are checked this way; the rest in-process.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { cliEnv, runClaims, runClaimsProcess } from "./support/cli.ts";
import { event, policy, toCsv, toJsonLines, useTempDir, writeFile } from "./support/files.ts";
import { snapshot } from "./support/snapshot.ts";

const database = useTestDatabase("ops_cli_process");
const tmp = useTempDir("cli-process");

test("exit 0 on success, 2 on a bad row (nothing written), 1 when verify finds a problem", async () => {
  const env = cliEnv(database.url);
  const good = writeFile(tmp.path, "good.csv", toCsv("policies", [policy("C1"), policy("C2")]));
  const ok = await runClaimsProcess(["policies", "import", good], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /2 rows: 2 inserted, 0 updated, 0 unchanged/);

  const before = await snapshot(database.sql);
  const bad = writeFile(
    tmp.path,
    "bad.jsonl",
    toJsonLines([event("E1"), event("E2", { observedAt: "2025-03-10 12:00" }), event("E3")]),
  );
  const refused = await runClaimsProcess(["events", "import", bad], env);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /row 2: observedAt: .*"2025-03-10 12:00"/);
  assert.deepEqual(await snapshot(database.sql), before);

  assert.equal((await runClaims(["verify"], env)).code, 0);
  await database.sql`
    insert into calculation_ledger (policy_id, claim_date, fence_token, inputs_hash, calculator_version,
      events_count, claims_count, capped_count, payout_bps_total, payout_amount_total, written_by)
    values ('C1', '2025-03-05', 1, 'x', 'x', 0, 3, 0, 0, 0, 'manual')`;
  const found = await runClaimsProcess(["verify"], env);
  assert.equal(found.code, 1, found.stdout + found.stderr);
  assert.match(
    found.stdout,
    /orphan C1 2025-03-05: ledger row records 3 claim\(s\) but 0 are stored/,
  );
});

test("exit 3 when PostgreSQL or Temporal is unreachable, with the password never shown", async () => {
  const file = writeFile(tmp.path, "policies.jsonl", toJsonLines([policy("U1")]));
  const down = await runClaimsProcess(
    ["policies", "import", file],
    cliEnv("postgres://claims:s3cret-pw@127.0.0.1:1/nowhere"),
  );
  assert.equal(down.code, 3, down.stderr);
  assert.match(
    down.stderr,
    /cannot reach PostgreSQL at postgres:\/\/claims:\*\*\*@127\.0\.0\.1:1\/nowhere/,
  );
  assert.ok(!down.stderr.includes("s3cret-pw"));

  const before = await snapshot(database.sql);
  const events = writeFile(tmp.path, "late.jsonl", toJsonLines([event("L1")]));
  const noTemporal = await runClaimsProcess(
    ["events", "import", events, "--recalculate"],
    cliEnv(database.url, { TEMPORAL_ADDRESS: "127.0.0.1:1" }),
  );
  assert.equal(noTemporal.code, 3, noTemporal.stderr);
  assert.match(noTemporal.stderr, /cannot reach Temporal at 127\.0\.0\.1:1/);
  // Temporal is checked before anything is written: the operator can simply run it again.
  assert.deepEqual(await snapshot(database.sql), before);
});

test("every operator command documents itself (--help, exit 0)", async () => {
  for (
    const command of [["policies", "import"], ["events", "import"], ["seed"], ["report"], [
      "verify",
    ]]
  ) {
    const help = await runClaims([...command, "--help"], {});
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: claims /);
    assert.match(help.stdout, /Exit codes:/);
  }
});
