/**
 * A PostgreSQL server of a test's own, for what must not touch the machine's shared one (TLS
 * settings, crashes): `initdb` into a temporary directory, a free port, `pg_ctl start`; close()
 * stops it and removes the directory. Trust authentication, user `postgres`, fsync off.
 *
 *   const pg = await startPrivatePostgres({ conf: { ssl: "on", … }, files: { "server.key": … } });
 *   pg.url("claims")   // postgres://postgres@127.0.0.1:PORT/claims
 *   await pg.close();
 *
 * The server binaries come from PG_BIN or the newest /usr/lib/postgresql/<version>/bin. As
 * root (CI here), initdb and the server run as the `postgres` user, which owns the directory.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { freePort } from "../../scripts/lib/free-port.ts";
import { removeDir } from "./remove-dir.ts";
import { after, before } from "./test.ts";

export interface PrivatePostgresOptions {
  /** postgresql.conf settings on top of port, listen_addresses, sockets and fsync. */
  conf?: Record<string, string>;
  /** Files written into the data directory first (owner-only mode), e.g. a server key. */
  files?: Record<string, string | Uint8Array>;
  /** Addresses to listen on (default 127.0.0.1). */
  listen?: string[];
}

export interface PrivatePostgres {
  host: string;
  port: number;
  /** The data directory (postgresql.conf, postmaster.pid, the files given). */
  dataDir: string;
  logFile: string;
  /** A URL for `database` (default `postgres`) with query parameters. */
  url(database?: string, params?: Record<string, string>): string;
  /** The postmaster's pid (to crash it on purpose). */
  pid(): number;
  /** Stops the server (fast shutdown) and removes its directory. */
  close(): Promise<void>;
}

function binDir(): string {
  if (process.env["PG_BIN"]) return process.env["PG_BIN"];
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")))
    : [];
  versions.sort((a, b) => Number(a) - Number(b));
  const newest = versions[versions.length - 1];
  if (!newest) {
    throw new Error(
      "no PostgreSQL server binaries (initdb) under /usr/lib/postgresql: install the server " +
        "package (apt-get install postgresql) or set PG_BIN; scripts/services.sh checks this",
    );
  }
  return path.join(root, newest, "bin");
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

function postgresUser(): { uid: number; gid: number } {
  const line = fs.readFileSync("/etc/passwd", "utf8").split("\n")
    .find((l) => l.startsWith("postgres:"));
  const fields = line?.split(":");
  if (!fields) throw new Error("running as root needs a `postgres` user to run the server as");
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** Runs a server binary, as `postgres` when we are root (initdb and postgres refuse root). */
function run(binary: string, args: string[]): Promise<void> {
  const [command, argv] = isRoot
    ? ["runuser", ["-u", "postgres", "--", binary, ...args]]
    : [binary, args];
  return new Promise((resolve, reject) => {
    execFile(command, argv, { encoding: "utf8" }, (error, stdout, stderr) => {
      if (!error) return resolve();
      reject(
        new Error(`${path.basename(binary)} ${args.join(" ")} failed: ${stderr}${stdout}`, {
          cause: error,
        }),
      );
    });
  });
}

export async function startPrivatePostgres(
  options: PrivatePostgresOptions = {},
): Promise<PrivatePostgres> {
  const bin = binDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claims-pg-"));
  const dataDir = path.join(dir, "data");
  const logFile = path.join(dir, "server.log");
  const owner = isRoot ? postgresUser() : undefined;
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  const port = await freePort();
  const host = "127.0.0.1";
  try {
    await run(path.join(bin, "initdb"), [
      "-D",
      dataDir,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-sync",
      "--no-instructions",
    ]);
    for (const [name, content] of Object.entries(options.files ?? {})) {
      const file = path.join(dataDir, name);
      fs.writeFileSync(file, content, { mode: 0o600 });
      if (owner) fs.chownSync(file, owner.uid, owner.gid);
    }
    const conf: Record<string, string> = {
      port: String(port),
      listen_addresses: `'${(options.listen ?? [host]).join(",")}'`,
      unix_socket_directories: `'${dir}'`,
      fsync: "off",
      ...options.conf,
    };
    fs.appendFileSync(
      path.join(dataDir, "postgresql.conf"),
      "\n# private test server\n" +
        Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join("\n") + "\n",
    );
    await run(path.join(bin, "pg_ctl"), [
      "-D",
      dataDir,
      "-l",
      logFile,
      "-w",
      "-t",
      "60",
      "start",
    ]);
  } catch (error) {
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").slice(-2000) : "";
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${log}`, { cause: error });
  }
  let closed = false;
  return {
    host,
    port,
    dataDir,
    logFile,
    url(database = "postgres", params = {}) {
      const url = new URL(`postgres://postgres@${host}:${port}/${database}`);
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      return url.toString();
    },
    pid() {
      return Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        if (fs.existsSync(path.join(dataDir, "postmaster.pid"))) {
          await run(path.join(bin, "pg_ctl"), [
            "-D",
            dataDir,
            "-m",
            "fast",
            "-w",
            "-t",
            "30",
            "stop",
          ]);
        }
      } finally {
        await removeDir(dir);
      }
    },
  };
}

/** A private server for the calling test file: started before its tests, closed after. */
export function usePrivatePostgres(
  options: PrivatePostgresOptions | (() => PrivatePostgresOptions) = {},
): PrivatePostgres {
  const handle = {} as PrivatePostgres;
  before(async () => {
    Object.assign(
      handle,
      await startPrivatePostgres(typeof options === "function" ? options() : options),
    );
  });
  after(async () => {
    await handle.close?.();
  });
  return handle;
}
