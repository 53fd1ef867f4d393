/**
 * The services this run owns and may break: its own redis-server on a free loopback port (never
 * the machine's shared one on 6379: other test files run against it), its own Temporal dev
 * server with a SQLite file under .cache/chaos/ (so workflows survive its restart), and a
 * dedicated PostgreSQL database on the machine's server.
 */
import { type ChildProcess, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { connectSql } from "../../src/store/connection.ts";
import { runMigrations } from "../../src/store/migrate.ts";
import { freePort, waitForPort } from "../lib/free-port.ts";
import { type DevServer, startTemporalDevServer } from "../lib/temporal-dev-server.ts";

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** A redis-server without persistence: a restart forgets every lock and fence key. */
export class RedisServer {
  #child: ChildProcess | undefined;

  private constructor(readonly port: number, private readonly logFile: string) {}

  static async start(logFile: string): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), logFile);
    await server.#spawn();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  get pid(): number {
    return this.#child?.pid ?? -1;
  }

  async #spawn(): Promise<void> {
    const fd = fs.openSync(this.logFile, "a");
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "yes",
      ],
      { stdio: ["ignore", fd, fd] },
    );
    fs.closeSync(fd);
    this.#child = child;
    try {
      await waitForPort("127.0.0.1", this.port, 15_000);
    } catch (error) {
      child.kill("SIGKILL");
      throw new Error(`redis-server on port ${this.port} did not start (see ${this.logFile})`, {
        cause: error,
      });
    }
  }

  /** A crash (SIGKILL: nothing is saved), `downtimeMs` of nothing listening, then a new server. */
  async restart(downtimeMs: number): Promise<void> {
    const child = this.#child;
    if (child) {
      child.kill("SIGKILL");
      await exitOf(child);
    }
    await new Promise((r) => setTimeout(r, downtimeMs));
    await this.#spawn();
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exitOf(child);
    clearTimeout(timer);
    this.#child = undefined;
  }
}

/**
 * What the run needs of its Temporal server: the dev server below, or on the `cluster` profile
 * the server on PostgreSQL (temporal-cluster.ts). `dropData` removes what it persisted once a
 * run passed (the dev server's SQLite file lives in the run's directory).
 */
export interface ChaosTemporal {
  readonly address: string;
  readonly pid: number;
  restart(downtimeMs: number): Promise<void>;
  stop(): Promise<void>;
  describe?(): string;
  dropData?(): Promise<void>;
}

/** The Temporal dev server, restartable on the same port with the same SQLite file. */
export class TemporalService implements ChaosTemporal {
  #server: DevServer;

  private constructor(
    server: DevServer,
    private readonly dbFile: string,
    private readonly logFile: string,
  ) {
    this.#server = server;
  }

  static async start(dbFile: string, logFile: string): Promise<TemporalService> {
    fs.rmSync(dbFile, { force: true });
    for (const suffix of ["-wal", "-shm"]) fs.rmSync(dbFile + suffix, { force: true });
    const server = await startTemporalDevServer({ dbFile, logFile });
    return new TemporalService(server, dbFile, logFile);
  }

  get address(): string {
    return this.#server.address;
  }

  get pid(): number {
    return this.#server.pid;
  }

  /** SIGTERM (a clean stop, SQLite flushed), `downtimeMs`, then the same port and file again. */
  async restart(downtimeMs: number): Promise<void> {
    await this.#server.stop();
    await new Promise((r) => setTimeout(r, downtimeMs));
    this.#server = await startTemporalDevServer({
      port: this.#server.port,
      dbFile: this.dbFile,
      logFile: this.logFile,
    });
  }

  stop(): Promise<void> {
    return this.#server.stop();
  }
}

export const adminDatabaseUrl = process.env["CHAOS_PG_ADMIN_URL"] ??
  process.env["TEST_PG_ADMIN_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface ChaosDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A new database `claims_chaos_<profile>_<random>`, migrated. */
export async function createChaosDatabase(profile: string): Promise<ChaosDatabase> {
  const name = `claims_chaos_${profile}_${crypto.randomBytes(4).toString("hex")}`;
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  return {
    name,
    url: url.toString(),
    async drop() {
      const admin = connectSql(adminDatabaseUrl, { max: 1, applicationName: "claims-chaos" });
      try {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return path.resolve(dir);
}
