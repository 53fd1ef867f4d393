/**
 * libpq's TLS settings for postgres.js, which reads only `sslmode` itself and treats
 * `verify-ca` and `verify-full` as "verify against the runtime's bundled CAs", ignoring
 * `sslrootcert` (and forwarding it to the server as a startup parameter). Here:
 *
 *   sslmode      disable | allow | prefer | require | verify-ca | verify-full (URL, or PGSSLMODE)
 *   sslrootcert  a PEM file of the CA(s) to trust, or `system` (URL, or PGSSLROOTCERT)
 *   sslcert/sslkey  a client certificate and its key (URL, or PGSSLCERT/PGSSLKEY)
 *
 *   - `require` encrypts but does not check who answers (anyone in the path can pose as the
 *     server), except that, as in libpq, a given sslrootcert makes it `verify-ca`;
 *   - `verify-ca` checks that the certificate chains to sslrootcert;
 *   - `verify-full` also checks that it names the host of DATABASE_URL (recommended);
 *   - without sslrootcert, verify-* trust the runtime's bundled CA list (`system`).
 * Without sslmode nothing changes: postgres.js connects without TLS, as before.
 */
import fs from "node:fs";
import tls from "node:tls";
import { ClaimsError, ErrorCodes } from "../errors.ts";

export const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];
export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";

/** The TLS parameters of DATABASE_URL this module reads (and removes before postgres.js). */
export const URL_TLS_PARAMS = ["sslmode", "sslrootcert", "sslcert", "sslkey"] as const;

/** libpq TLS parameters this project does not implement: refused rather than ignored. */
export const UNSUPPORTED_URL_TLS_PARAMS = ["sslpassword", "sslcrl", "sslcrldir", "sslcertmode"];

/** The same settings from the environment (PGSSLMODE …), used where the URL has none. */
export interface PostgresTlsEnv {
  mode?: SslMode | undefined;
  rootCert?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

/** What postgres.js gets: the URL without the TLS parameters, and its `ssl` option. */
export interface DriverTls {
  url: string;
  ssl: false | "prefer" | "require" | tls.ConnectionOptions;
  /** The mode in effect, for messages. */
  mode: SslMode | undefined;
  /** Where the trusted CAs came from, for messages ("sslrootcert in DATABASE_URL" …). */
  rootCertSource: string | undefined;
}

function readPem(source: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new ClaimsError(
      ErrorCodes.CONFIG_INVALID,
      `${source}: cannot read ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** The one host of a URL (postgres.js also takes a comma-separated list; then undefined). */
function singleHost(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return host && !host.includes(",") ? decodeURIComponent(host) : undefined;
}

export function postgresDriverTls(rawUrl: string, env: PostgresTlsEnv = {}): DriverTls {
  const url = new URL(rawUrl);
  const param = (name: string) => url.searchParams.get(name) ?? undefined;
  const fromUrl = (name: string) => `${name} in DATABASE_URL`;
  const mode = (param("sslmode") ?? env.mode) as SslMode | undefined;
  const rootCert = param("sslrootcert") ?? env.rootCert;
  const rootCertSource = param("sslrootcert") !== undefined
    ? fromUrl("sslrootcert")
    : env.rootCert !== undefined
    ? "PGSSLROOTCERT"
    : undefined;
  const certFile = param("sslcert") ?? env.cert;
  const keyFile = param("sslkey") ?? env.key;
  for (const name of URL_TLS_PARAMS) url.searchParams.delete(name);
  const stripped = url.toString();

  if (mode === undefined || mode === "disable") {
    return { url: stripped, ssl: false, mode, rootCertSource };
  }
  const client: tls.ConnectionOptions = {};
  if (certFile !== undefined && keyFile !== undefined) {
    client.cert = readPem(
      param("sslcert") !== undefined ? fromUrl("sslcert") : "PGSSLCERT",
      certFile,
    );
    client.key = readPem(param("sslkey") !== undefined ? fromUrl("sslkey") : "PGSSLKEY", keyFile);
  }
  const hasClientCert = client.cert !== undefined;
  // libpq: with a root certificate given, `require` verifies the chain like verify-ca.
  const effective: SslMode = mode === "require" && rootCert !== undefined ? "verify-ca" : mode;
  if (effective === "allow" || effective === "prefer" || effective === "require") {
    // postgres.js's own modes: TLS without verification ("prefer" falls back to plain text).
    const plain = effective === "require" ? "require" : "prefer";
    return {
      url: stripped,
      ssl: hasClientCert ? { ...client, rejectUnauthorized: false } : plain,
      mode: effective,
      rootCertSource,
    };
  }
  const options: tls.ConnectionOptions = { ...client, rejectUnauthorized: true };
  if (rootCert !== undefined && rootCert !== "system") {
    options.ca = readPem(rootCertSource!, rootCert);
  }
  if (effective === "verify-ca") {
    // The chain is checked by rejectUnauthorized; the name on the certificate is not.
    options.checkServerIdentity = () => undefined;
  } else {
    // The host of DATABASE_URL, whatever the runtime would pick (an IP address gets no SNI).
    const host = singleHost(url);
    if (host !== undefined) {
      options.checkServerIdentity = (_servername, cert) => tls.checkServerIdentity(host, cert);
    }
  }
  return { url: stripped, ssl: options, mode: effective, rootCertSource };
}
