/**
 * The worker's guard against postgres.js's deferred write on a closed socket recognises that
 * one error, produced by the driver's real code path, and nothing else. Its second rule, for
 * the rejection `sql.begin` leaves unhandled when the connection closes, takes only a lost
 * session's errors from the real driver.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "../../support/test.ts";
import {
  isPostgresDeferredWriteOnClosedSocket,
  isPostgresLostConnectionRejection,
} from "../../../src/store/driver-crash-guard.ts";
import { connectSql } from "../../../src/store/connection.ts";
import { adminDatabaseUrl } from "../../support/env.ts";
import { useDriverCrashGuard } from "../../support/driver-crash-guard.ts";

const guard = useDriverCrashGuard();

/** Runs the driver's own `nextWrite` shape: a function of that name in connection.js. */
function errorFromDriverFile(): unknown {
  const require = createRequire(import.meta.url);
  // The package's entry lives beside connection.js (cjs/src/index.js).
  const file = path.join(path.dirname(require.resolve("postgres")), "connection.js");
  // Compile a function named nextWrite whose stack frame points at the driver's file, the
  // way V8 reports the real one: `at nextWrite (…/postgres/cjs/src/connection.js:…)`.
  const socket: { write(): void } | null = null;
  const nextWrite = new Function(
    "socket",
    `return function nextWrite() { return socket.write() }\n//# sourceURL=${file}`,
  )(socket) as () => void;
  try {
    nextWrite();
  } catch (error) {
    return error;
  }
  throw new Error("expected a TypeError");
}

test("recognises the driver's deferred write on a null socket", () => {
  const error = errorFromDriverFile();
  assert.ok(error instanceof TypeError);
  assert.equal((error as Error).message, "Cannot read properties of null (reading 'write')");
  assert.equal(isPostgresDeferredWriteOnClosedSocket(error), true);
});

test("leaves every other error alone", () => {
  const other = new TypeError("Cannot read properties of null (reading 'write')");
  other.stack = "TypeError: …\n    at nextWrite (/app/src/our-code.ts:1:1)";
  assert.equal(isPostgresDeferredWriteOnClosedSocket(other), false);
  assert.equal(isPostgresDeferredWriteOnClosedSocket(new Error("boom")), false);
  const elsewhere = new TypeError("Cannot read properties of null (reading 'end')");
  elsewhere.stack = "TypeError\n    at nextWrite (/x/node_modules/postgres/src/connection.js:1:1)";
  assert.equal(isPostgresDeferredWriteOnClosedSocket(elsewhere), false);
  assert.equal(isPostgresDeferredWriteOnClosedSocket("a string"), false);
});

test("the test guard absorbs the driver's error thrown from a timer, as it happens for real", async () => {
  const before = guard.absorbed();
  setImmediate(() => {
    throw errorFromDriverFile();
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(guard.absorbed(), before + 1);
});

test("the unhandled-rejection rule takes a terminated session's error, not a refused statement", async () => {
  const sql = connectSql(adminDatabaseUrl, { max: 1, applicationName: "claims-tests-victim" });
  const admin = connectSql(adminDatabaseUrl, { max: 1, applicationName: "claims-tests" });
  try {
    const refused = await sql`select 1/0`.then(() => undefined, (error: unknown) => error);
    assert.equal((refused as { code?: string }).code, "22012");
    assert.equal(isPostgresLostConnectionRejection(refused), false);
    // Terminated from another session while it runs: the server's FATAL 57P01, or the driver's
    // CONNECTION_CLOSED when the socket closes first; both are the lost session.
    const running = sql`select pg_sleep(10)`.then(() => undefined, (error: unknown) => error);
    for (let i = 0; i < 100; i++) {
      const [row] = await admin<{ n: number }[]>`
        select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where application_name = 'claims-tests-victim' and state = 'active'`;
      if (row!.n > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const terminated = await running;
    assert.ok(
      ["57P01", "CONNECTION_CLOSED"].includes((terminated as { code?: string }).code ?? ""),
      String(terminated),
    );
    assert.equal(isPostgresLostConnectionRejection(terminated), true);
  } finally {
    await sql.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
  }
  const fatal = Object.assign(new Error("terminating connection due to administrator command"), {
    name: "PostgresError",
    code: "57P01",
  });
  assert.equal(isPostgresLostConnectionRejection(fatal), true);
  const closed = Object.assign(new Error("write CONNECTION_CLOSED 127.0.0.1:5432"), {
    code: "CONNECTION_CLOSED",
  });
  assert.equal(isPostgresLostConnectionRejection(closed), true);
  const ours = Object.assign(new Error("lost"), { code: "CONNECTION_CLOSED" });
  assert.equal(isPostgresLostConnectionRejection(ours), false);
  assert.equal(isPostgresLostConnectionRejection(new Error("boom")), false);
  assert.equal(isPostgresLostConnectionRejection("57P01"), false);
});
