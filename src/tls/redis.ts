/**
 * TLS options for ioredis from the configuration. A `rediss://` URL makes ioredis connect over
 * TLS and verify the server against the runtime's bundled CAs only; a private CA is trusted
 * through REDIS_TLS_CA_PATH, and a client certificate comes from REDIS_TLS_CERT_PATH and
 * REDIS_TLS_KEY_PATH (servers with `tls-auth-clients yes`). The host name of REDIS_URL must be
 * on the server's certificate, unless REDIS_TLS_SERVER_NAME names the one that is.
 */
import fs from "node:fs";
import type tls from "node:tls";
import type { RedisOptions } from "ioredis";
import { ClaimsError, ErrorCodes } from "../errors.ts";

export interface RedisTlsConfig {
  caPath?: string | undefined;
  certPath?: string | undefined;
  keyPath?: string | undefined;
  serverName?: string | undefined;
}

function readPem(variable: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new ClaimsError(
      ErrorCodes.CONFIG_INVALID,
      `${variable}: cannot read ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** ioredis options for `url`: the TLS settings when it is rediss://, nothing otherwise. */
export function redisTlsOptions(url: string, config: RedisTlsConfig | undefined): RedisOptions {
  if (!url.startsWith("rediss://") || !config) return {};
  const options: tls.ConnectionOptions = {};
  if (config.caPath) options.ca = readPem("REDIS_TLS_CA_PATH", config.caPath);
  if (config.certPath && config.keyPath) {
    options.cert = readPem("REDIS_TLS_CERT_PATH", config.certPath);
    options.key = readPem("REDIS_TLS_KEY_PATH", config.keyPath);
  }
  if (config.serverName) options.servername = config.serverName;
  return Object.keys(options).length > 0 ? { tls: options } : {};
}
