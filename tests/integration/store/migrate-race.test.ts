/**
 * `claims migrate` as users run it: five real processes started at the same moment against a
 * database that does not exist yet all exit 0, the database is created once and the schema
 * applied once.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { test } from "../../support/test.ts";
import { claimsCommand } from "../../../scripts/lib/runtimes.ts";
import { databaseUrlFor, dropTestDatabase } from "../../support/database.ts";
import { connectSql } from "../../../src/store/connection.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function migrate(databaseUrl: string, args: string[] = ["--json"]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const { command, args: argv } = claimsCommand("node", ["migrate", ...args]);
    const child = spawn(command, argv, {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Uint8Array) => (stdout += new TextDecoder().decode(d)));
    child.stderr.on("data", (d: Uint8Array) => (stderr += new TextDecoder().decode(d)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

interface MigrateJson {
  database: string;
  databaseCreated: boolean;
  applied: number;
  total: number;
  alreadyApplied: number;
}

test(
  "five `claims migrate` processes racing on a new database all succeed; the schema is applied once",
  {
    timeout: 90_000,
  },
  async () => {
    const name = `claims_test_migrate_race_${crypto.randomBytes(4).toString("hex")}`;
    const url = databaseUrlFor(name);
    let failed = true;
    try {
      const runs = await Promise.all(Array.from({ length: 5 }, () => migrate(url)));
      for (const run of runs) assert.equal(run.code, 0, `exit ${run.code}: ${run.stderr}`);
      const results = runs.map((r) => JSON.parse(r.stdout) as MigrateJson);
      const total = results[0]!.total;
      assert.ok(total >= 1);
      assert.equal(results.filter((r) => r.databaseCreated).length, 1);
      assert.deepEqual(results.map((r) => r.applied).sort(), [0, 0, 0, 0, total]);
      for (const r of results) assert.equal(r.database, name);

      const sql = connectSql(url, { max: 1 });
      try {
        const [migrations] = await sql<{ n: number }[]>`
        select count(*)::int as n from drizzle.__drizzle_migrations`;
        assert.equal(migrations?.n, total);
        const tables = await sql<{ table_name: string }[]>`
        select table_name from information_schema.tables
        where table_schema = 'public' order by table_name`;
        assert.deepEqual(tables.map((t) => t.table_name), [
          "calculation_ledger",
          "claim_audit",
          "claims",
          "event_revisions",
          "lock_fences",
          "policies",
          "risk_events",
          "write_refusals",
        ]);
      } finally {
        await sql.end({ timeout: 5 });
      }

      // Run again: nothing to do, said in words.
      const again = await migrate(url, []);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, new RegExp(`database "${name}": exists`));
      assert.match(again.stdout, /migrations: up to date \(\d+ already applied\)/);
      failed = false;
    } finally {
      if (failed) console.error(`kept database ${name} for inspection`);
      else await dropTestDatabase(name);
    }
  },
);

test("`claims migrate` against an unreachable server exits 3 with the URL's password redacted", {
  timeout: 30_000,
}, async () => {
  const run = await migrate("postgres://postgres:s3cret-pw@127.0.0.1:1/claims", []);
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /cannot connect to PostgreSQL/);
  assert.doesNotMatch(run.stderr + run.stdout, /s3cret-pw/);
});
