/**
 * Issue 24, point 6: TLS that verifies. A private CA made with openssl signs the certificate
 * of a private PostgreSQL (ssl = on) and a private Redis (TLS port only), both listening on
 * 127.0.0.1 and 127.0.0.2; the certificate names 127.0.0.1 and claims-db.test only. Then, with
 * the CLI as a real process:
 *   - the right CA connects: `claims migrate` and `claims locks` succeed (verify-full);
 *   - a wrong CA fails: exit 3, saying the certificate could not be verified and what to set;
 *   - a host the certificate does not name fails under verify-full, passes under verify-ca;
 *   - `require` encrypts without verifying (and verifies when given a root certificate, as
 *     libpq does); the lock backends the worker builds connect the same way.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "../../support/test.ts";
import {
  type CertificateAuthority,
  issueCertificate,
  makeCertificateAuthority,
} from "../../support/test-ca.ts";
import { type PrivatePostgres, startPrivatePostgres } from "../../support/private-postgres.ts";
import { type PrivateRedis, startPrivateRedis } from "../../support/private-redis.ts";
import { cliEnv, runClaimsProcess } from "../ops/support/cli.ts";
import { loadConfig } from "../../../src/config.ts";
import { connectSql } from "../../../src/store/connection.ts";
import { createLockBackend } from "../../../src/locks/index.ts";

let dir = "";
let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
let pg: PrivatePostgres | undefined;
let redis: PrivateRedis | undefined;

// One hook: Node may run a file's top-level hooks concurrently, and the servers need the CA.
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "claims-tls-"));
  ca = makeCertificateAuthority(path.join(dir, "ca"), "claims-test-ca");
  otherCa = makeCertificateAuthority(path.join(dir, "other"), "someone-else-ca");
  const server = issueCertificate(ca, path.join(dir, "ca"), "server", [
    "IP:127.0.0.1",
    "DNS:claims-db.test",
  ]);
  pg = await startPrivatePostgres({
    listen: ["127.0.0.1", "127.0.0.2"],
    files: {
      "server.crt": fs.readFileSync(server.certFile),
      "server.key": fs.readFileSync(server.keyFile),
    },
    conf: { ssl: "on", ssl_cert_file: "'server.crt'", ssl_key_file: "'server.key'" },
  });
  redis = await startPrivateRedis({
    bind: ["127.0.0.1", "127.0.0.2"],
    tls: { certFile: server.certFile, keyFile: server.keyFile, caFile: ca.certFile },
  });
});

after(async () => {
  await redis?.close();
  await pg?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function databaseUrl(host: string, params: Record<string, string>): string {
  const url = new URL(pg!.url("claims", params));
  url.hostname = host;
  return url.toString();
}

function env(extra: Record<string, string>): Record<string, string> {
  return cliEnv(databaseUrl("127.0.0.1", {}), extra);
}

test("the right CA: migrate and locks succeed under verify-full, over encrypted connections", async () => {
  const vars = env({
    DATABASE_URL: databaseUrl("127.0.0.1", { sslmode: "verify-full", sslrootcert: ca.certFile }),
    REDIS_URL: redis!.url(0),
    REDIS_TLS_CA_PATH: ca.certFile,
  });
  const migrated = await runClaimsProcess(["migrate"], vars);
  assert.equal(migrated.code, 0, migrated.stderr);
  assert.match(migrated.stdout, /database "claims": (created|exists)/);
  const locks = await runClaimsProcess(["locks"], vars);
  assert.equal(locks.code, 0, locks.stderr);
  assert.equal(locks.stdout, "no locks held\n");

  const config = loadConfig(vars);
  const sql = connectSql(config.databaseUrl, { max: 1, session: config.database });
  try {
    const [row] = await sql<{ ssl: boolean; version: string }[]>`
      select ssl, version from pg_stat_ssl where pid = pg_backend_pid()`;
    assert.equal(row?.ssl, true);
    assert.match(row!.version, /^TLSv1\.[23]$/);
  } finally {
    await sql.end({ timeout: 5 });
  }
});

test("PGSSLROOTCERT gives the CA when DATABASE_URL names none", async () => {
  const run = await runClaimsProcess(
    ["locks", "--backend", "postgres"],
    env({
      DATABASE_URL: databaseUrl("127.0.0.1", { sslmode: "verify-full" }),
      PGSSLROOTCERT: ca.certFile,
    }),
  );
  assert.equal(run.code, 0, run.stderr);
});

test("a wrong CA: exit 3, the certificate could not be verified, and the setting to change", async () => {
  const pgRun = await runClaimsProcess(
    ["migrate"],
    env({
      DATABASE_URL: databaseUrl("127.0.0.1", {
        sslmode: "verify-full",
        sslrootcert: otherCa.certFile,
      }),
    }),
  );
  assert.equal(pgRun.code, 3, pgRun.stderr);
  assert.match(
    pgRun.stderr,
    /^error: cannot connect to PostgreSQL at .*: TLS: the PostgreSQL server's certificate could not be verified \(.+\); set sslrootcert in DATABASE_URL \(or PGSSLROOTCERT\) to the CA certificate that signed it$/m,
  );
  for (const caPath of [otherCa.certFile, undefined]) {
    const redisRun = await runClaimsProcess(
      ["locks", "--backend", "redis"],
      env({ REDIS_URL: redis!.url(0), ...(caPath ? { REDIS_TLS_CA_PATH: caPath } : {}) }),
    );
    assert.equal(redisRun.code, 3, redisRun.stderr);
    assert.match(
      redisRun.stderr,
      /^error: cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+\/0 .*TLS: the Redis server's certificate could not be verified \(.+\); set REDIS_TLS_CA_PATH to the CA certificate that signed it$/m,
    );
  }
});

test("a host the certificate does not name: refused by verify-full, accepted by verify-ca", async () => {
  const full = await runClaimsProcess(
    ["locks", "--backend", "postgres"],
    env({
      DATABASE_URL: databaseUrl("127.0.0.2", { sslmode: "verify-full", sslrootcert: ca.certFile }),
    }),
  );
  assert.equal(full.code, 3, full.stderr);
  assert.match(
    full.stderr,
    /TLS: the PostgreSQL server's certificate does not name the host connected to \(.+\); connect by a name the certificate holds, or use sslmode=verify-ca to check the CA only$/m,
  );
  const caOnly = await runClaimsProcess(
    ["locks", "--backend", "postgres"],
    env({
      DATABASE_URL: databaseUrl("127.0.0.2", { sslmode: "verify-ca", sslrootcert: ca.certFile }),
    }),
  );
  assert.equal(caOnly.code, 0, caOnly.stderr);

  const redisVars = { REDIS_URL: redis!.url(0, "127.0.0.2"), REDIS_TLS_CA_PATH: ca.certFile };
  const wrongName = await runClaimsProcess(["locks", "--backend", "redis"], env(redisVars));
  assert.equal(wrongName.code, 3, wrongName.stderr);
  assert.match(
    wrongName.stderr,
    /TLS: the Redis server's certificate does not name the host connected to \(.+\); connect by a name the certificate holds, or set REDIS_TLS_SERVER_NAME to the name it holds$/m,
  );
  const named = await runClaimsProcess(
    ["locks", "--backend", "redis"],
    env({ ...redisVars, REDIS_TLS_SERVER_NAME: "claims-db.test" }),
  );
  assert.equal(named.code, 0, named.stderr);
});

test("require encrypts without checking who answers; with a root certificate it checks (libpq)", async () => {
  const config = loadConfig({ DATABASE_URL: databaseUrl("127.0.0.2", { sslmode: "require" }) });
  const sql = connectSql(config.databaseUrl, { max: 1, session: config.database });
  try {
    const [row] = await sql<{ ssl: boolean }[]>`
      select ssl from pg_stat_ssl where pid = pg_backend_pid()`;
    assert.equal(row?.ssl, true);
  } finally {
    await sql.end({ timeout: 5 });
  }
  const run = await runClaimsProcess(
    ["locks", "--backend", "postgres"],
    env({
      DATABASE_URL: databaseUrl("127.0.0.1", { sslmode: "require", sslrootcert: otherCa.certFile }),
    }),
  );
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /certificate could not be verified/);
});

test("the worker's lock backends connect the same way (Redis and PostgreSQL, verify-full)", async () => {
  for (const backend of ["redis", "postgres"]) {
    const config = loadConfig({
      DATABASE_URL: databaseUrl("127.0.0.1", { sslmode: "verify-full", sslrootcert: ca.certFile }),
      REDIS_URL: redis!.url(1),
      REDIS_TLS_CA_PATH: ca.certFile,
      LOCK_BACKEND: backend,
    });
    const locks = createLockBackend(config);
    try {
      const lease = await locks.tryAcquire("lock:claim_calc:P-TLS:2025-03-01");
      assert.ok(lease, backend);
      assert.ok(lease.fencingToken > 0n, backend);
      await lease.release();
    } finally {
      await locks.close();
    }
  }
});

test("a CA file that cannot be read: exit 2, the variable named", async () => {
  const missing = path.join(dir, "missing.crt");
  const redisRun = await runClaimsProcess(
    ["locks", "--backend", "redis"],
    env({ REDIS_URL: redis!.url(0), REDIS_TLS_CA_PATH: missing }),
  );
  assert.equal(redisRun.code, 2, redisRun.stderr);
  assert.match(redisRun.stderr, /^error: REDIS_TLS_CA_PATH: cannot read .*missing\.crt/m);
  const pgRun = await runClaimsProcess(
    ["migrate"],
    env({
      DATABASE_URL: databaseUrl("127.0.0.1", { sslmode: "verify-full" }),
      PGSSLROOTCERT: missing,
    }),
  );
  assert.equal(pgRun.code, 2, pgRun.stderr);
  assert.match(pgRun.stderr, /^error: PGSSLROOTCERT: cannot read .*missing\.crt/m);
});
