/**
 * How DATABASE_URL's libpq TLS parameters become postgres.js options (src/tls/postgres.ts):
 * removed from the URL (postgres.js would send them to the server as settings), and turned
 * into a verifying TLS configuration for verify-ca / verify-full. The handshakes themselves
 * are tested against a private server in tests/integration/tls.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type tls from "node:tls";
import { after, test } from "../../support/test.ts";
import { postgresDriverTls } from "../../../src/tls/postgres.ts";
import { loadConfig } from "../../../src/config.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claims-tls-unit-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const ca = path.join(dir, "ca.crt");
fs.writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n");
const base = "postgres://u:pw@db.example:5432/claims";

test("no sslmode: no TLS, URL unchanged (as before)", () => {
  const out = postgresDriverTls(`${base}?application_name=x`);
  assert.equal(out.ssl, false);
  assert.equal(out.url, `${base}?application_name=x`);
});

test("require encrypts without verifying; prefer and allow fall back to plain text", () => {
  assert.equal(postgresDriverTls(`${base}?sslmode=require`).ssl, "require");
  assert.equal(postgresDriverTls(`${base}?sslmode=prefer`).ssl, "prefer");
  assert.equal(postgresDriverTls(`${base}?sslmode=allow`).ssl, "prefer");
  assert.equal(postgresDriverTls(`${base}?sslmode=disable`).ssl, false);
});

test("verify-full: the CA of sslrootcert, the host of the URL checked; parameters removed", () => {
  const out = postgresDriverTls(`${base}?sslmode=verify-full&sslrootcert=${ca}&connect_timeout=5`);
  assert.equal(out.url, `${base}?connect_timeout=5`);
  const options = out.ssl as tls.ConnectionOptions;
  assert.equal(options.rejectUnauthorized, true);
  assert.equal(String(options.ca), fs.readFileSync(ca, "utf8"));
  assert.equal(typeof options.checkServerIdentity, "function");
  assert.equal(out.rootCertSource, "sslrootcert in DATABASE_URL");
});

test("verify-ca checks the chain, not the name; require with a root certificate is verify-ca (libpq)", () => {
  for (const mode of ["verify-ca", "require"]) {
    const out = postgresDriverTls(`${base}?sslmode=${mode}&sslrootcert=${ca}`);
    const options = out.ssl as tls.ConnectionOptions;
    assert.equal(out.mode, "verify-ca");
    assert.equal(options.rejectUnauthorized, true);
    assert.equal(options.checkServerIdentity?.("db.example", {} as tls.PeerCertificate), undefined);
  }
});

test("PGSSLMODE and PGSSLROOTCERT apply where the URL says nothing; the URL wins", () => {
  const env = { mode: "verify-full" as const, rootCert: ca };
  const out = postgresDriverTls(base, env);
  assert.equal(out.mode, "verify-full");
  assert.equal(out.rootCertSource, "PGSSLROOTCERT");
  assert.equal(postgresDriverTls(`${base}?sslmode=disable`, env).ssl, false);
  assert.equal(
    postgresDriverTls(`${base}?sslrootcert=system`, env).rootCertSource,
    "sslrootcert in DATABASE_URL",
  );
  assert.equal(
    (postgresDriverTls(`${base}?sslrootcert=system`, env).ssl as tls.ConnectionOptions).ca,
    undefined,
  );
});

test("a root certificate that cannot be read names where it was set (exit 2)", () => {
  assert.throws(
    () => postgresDriverTls(`${base}?sslmode=verify-full&sslrootcert=${dir}/missing.crt`),
    /^ClaimsError: sslrootcert in DATABASE_URL: cannot read .*missing\.crt/,
  );
  assert.throws(
    () => postgresDriverTls(base, { mode: "verify-ca", rootCert: `${dir}/nope.crt` }),
    (e: Error & { code?: string }) =>
      e.code === "CONFIG_INVALID" && /^PGSSLROOTCERT: /.test(e.message),
  );
});

test("configuration: sslmode values, unsupported TLS parameters, certificate pairs, REDIS_TLS_*", () => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ DATABASE_URL: `${base}?sslmode=verify_full` }, /DATABASE_URL: sslmode must be one of/],
    [
      { PGSSLMODE: "strict" },
      /PGSSLMODE: must be one of disable, allow, prefer, require, verify-ca, verify-full/,
    ],
    [{ DATABASE_URL: `${base}?sslcrl=/x.crl` }, /DATABASE_URL: sslcrl is not supported/],
    [{ DATABASE_URL: `${base}?sslrootcert=` }, /DATABASE_URL: sslrootcert must name a file/],
    [{ DATABASE_URL: `${base}?sslcert=/c.crt` }, /sslcert\/sslkey .*set both/],
    [{ REDIS_TLS_CERT_PATH: "/c.crt" }, /REDIS_TLS_CERT_PATH\/REDIS_TLS_KEY_PATH: set both/],
    [{ REDIS_TLS_CA_PATH: ca }, /REDIS_TLS_\*: .*REDIS_URL must then use rediss:\/\//],
  ];
  for (const [env, message] of bad) {
    assert.throws(() => loadConfig(env), message, JSON.stringify(env));
  }
  const config = loadConfig({
    REDIS_URL: "rediss://cache.example:6380/0",
    REDIS_TLS_CA_PATH: ca,
    PGSSLROOTCERT: ca,
  });
  assert.deepEqual(config.redisTls, {
    caPath: ca,
    certPath: undefined,
    keyPath: undefined,
    serverName: undefined,
  });
  assert.equal(config.database.tls.rootCert, ca);
  assert.equal(loadConfig({}).redisTls, undefined);
});
