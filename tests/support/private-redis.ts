/**
 * A redis-server of a test's own (never the machine's shared one on 6379): a free port, a
 * temporary working directory, no persistence; close() stops it and removes the directory.
 * With `tls`, it listens on the port with TLS only (`--port 0 --tls-port …`).
 *
 *   const redis = await startPrivateRedis({ tls: { certFile, keyFile, caFile } });
 *   redis.url(0)   // rediss://127.0.0.1:PORT/0
 *   await redis.close();
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, waitForPort } from "../../scripts/lib/free-port.ts";
import { removeDir } from "./remove-dir.ts";
import { after, before } from "./test.ts";

export interface PrivateRedisOptions {
  tls?: {
    certFile: string;
    keyFile: string;
    caFile: string;
    /** Require client certificates (`--tls-auth-clients yes`); default no. */
    authClients?: boolean;
  };
  /** Addresses to bind (default 127.0.0.1). */
  bind?: string[];
  /** More redis-server arguments. */
  args?: string[];
}

export interface PrivateRedis {
  host: string;
  port: number;
  dir: string;
  logFile: string;
  /** redis:// or rediss:// URL of logical database `db`. */
  url(db?: number, host?: string): string;
  pid(): number;
  close(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claims-redis-"));
  const logFile = path.join(dir, "server.log");
  const port = await freePort();
  const host = "127.0.0.1";
  const listen = options.tls
    ? [
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--tls-cert-file",
      options.tls.certFile,
      "--tls-key-file",
      options.tls.keyFile,
      "--tls-ca-cert-file",
      options.tls.caFile,
      "--tls-auth-clients",
      options.tls.authClients ? "yes" : "no",
    ]
    : ["--port", String(port)];
  const child = spawn("redis-server", [
    ...listen,
    "--bind",
    ...(options.bind ?? [host]),
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "no",
    "--logfile",
    logFile,
    ...(options.args ?? []),
  ], { stdio: "ignore" });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });
  try {
    await spawned;
    await waitForPort(host, port, 15_000);
  } catch (error) {
    child.kill("SIGKILL");
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").slice(-2000) : "";
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`redis-server on port ${port} did not start: ${log}`, { cause: error });
  }
  let closed = false;
  return {
    host,
    port,
    dir,
    logFile,
    url(db = 0, at = host) {
      return `${options.tls ? "rediss" : "redis"}://${at}:${port}/${db}`;
    },
    pid() {
      return child.pid ?? -1;
    },
    async close() {
      if (closed) return;
      closed = true;
      child.kill("SIGTERM");
      await exited(child);
      await removeDir(dir);
    },
  };
}

/** A private server for the calling test file: started before its tests, closed after. */
export function usePrivateRedis(
  options: PrivateRedisOptions | (() => PrivateRedisOptions) = {},
): PrivateRedis {
  const handle = {} as PrivateRedis;
  before(async () => {
    Object.assign(
      handle,
      await startPrivateRedis(typeof options === "function" ? options() : options),
    );
  });
  after(async () => {
    await handle.close?.();
  });
  return handle;
}
