/**
 * Connections to Temporal from the configuration: plain for a local dev server, TLS with a
 * client certificate for a self-hosted cluster, an API key for Temporal Cloud. Only
 * configuration differs between them, never code. An unreachable server is reported as
 * SERVICE_UNAVAILABLE naming the address (the CLI's exit code 3).
 */
import fs from "node:fs";
import type { Client, Connection, TLSConfig } from "@temporalio/client";
import type { Config } from "../config.ts";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import { redactSecrets } from "../redact.ts";

function readFile(variable: string, file: string): Buffer {
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

/** The TLS options of the configuration (undefined for a plain connection). */
export function temporalTls(config: Config): TLSConfig | undefined {
  const tls = config.temporal.tls;
  if (!tls) return undefined;
  const out: TLSConfig = {};
  if (tls.certPath && tls.keyPath) {
    out.clientCertPair = {
      crt: readFile("TEMPORAL_TLS_CERT_PATH", tls.certPath),
      key: readFile("TEMPORAL_TLS_KEY_PATH", tls.keyPath),
    };
  }
  if (tls.caPath) out.serverRootCACertificate = readFile("TEMPORAL_TLS_CA_PATH", tls.caPath);
  if (tls.serverName) out.serverNameOverride = tls.serverName;
  return out;
}

export function unreachable(config: Config, error: unknown): ClaimsError {
  const detail = redactSecrets(
    error instanceof Error ? error.message : String(error),
    [config.temporal.apiKey],
  );
  return new ClaimsError(
    ErrorCodes.SERVICE_UNAVAILABLE,
    `cannot reach Temporal at ${config.temporal.address} (namespace ${config.temporal.namespace}; ` +
      `check TEMPORAL_ADDRESS and that the server runs): ${detail}`,
    { cause: error },
  );
}

export interface TemporalClientHandle {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/** A client for the configured namespace; the connection is checked before it is returned. */
export async function connectClient(
  config: Config,
  options: { connectTimeoutMs?: number } = {},
): Promise<TemporalClientHandle> {
  const { Client, Connection } = await import("@temporalio/client");
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: config.temporal.address,
      tls: temporalTls(config),
      apiKey: config.temporal.apiKey,
      connectTimeout: options.connectTimeoutMs ?? 5_000,
    });
  } catch (error) {
    if (error instanceof ClaimsError) throw error;
    throw unreachable(config, error);
  }
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return { client, connection, close: () => connection.close() };
}

/** gRPC status UNAVAILABLE / DEADLINE_EXCEEDED, or the SDK's connection errors. */
export function isUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    const name = (e as { name?: unknown }).name;
    if (code === 14 || code === 4 || name === "ServiceError" && /UNAVAILABLE/.test(String(e))) {
      return true;
    }
    if (name === "TransportError" || name === "ConnectionError") return true;
  }
  return false;
}
