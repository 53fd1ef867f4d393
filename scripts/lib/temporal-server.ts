/**
 * Either Temporal this project runs against, behind one start/stop interface: `dev`, the CLI
 * dev server (SQLite, one process, one shard; temporal-dev-server.ts) and `postgres`, the
 * self-hosted server on PostgreSQL (history and visibility databases, 4 shards;
 * temporal-cluster.ts). The test runner (`--temporal`), the demo, the benchmark and the chaos
 * run choose with a flag or TEMPORAL=dev|postgres; nothing else differs.
 */
import type { ChildProcess } from "node:child_process";
import process from "node:process";
import { startTemporalDevServer } from "./temporal-dev-server.ts";
import { startTemporalCluster, type TemporalCluster } from "./temporal-cluster.ts";

export type TemporalKind = "dev" | "postgres";

export const TEMPORAL_KINDS: readonly TemporalKind[] = ["dev", "postgres"];

export function parseTemporalKind(value: string, source: string): TemporalKind {
  if (value === "dev" || value === "postgres") return value;
  throw new Error(`${source}: expected "dev" or "postgres", got ${JSON.stringify(value)}`);
}

/** TEMPORAL=dev|postgres from the environment (the Makefile's variable), `dev` when unset. */
export function temporalKindFromEnv(): TemporalKind {
  const value = process.env["TEMPORAL"];
  return value ? parseTemporalKind(value, "TEMPORAL") : "dev";
}

export interface TemporalServer {
  kind: TemporalKind;
  address: string;
  port: number;
  /** The web UI (dev server only). */
  uiUrl?: string;
  pid: number;
  process: ChildProcess;
  /** The cluster's details (databases, shards, ports) when kind is `postgres`. */
  cluster?: TemporalCluster;
  /** Stops the server; a cluster also drops its databases unless kept (KEEP=1). */
  stop(): Promise<void>;
}

export interface StartTemporalOptions {
  /** gRPC port; a free one when omitted. */
  port?: number;
  /** Dev server only: the UI port (off when omitted) and the SQLite file (in memory). */
  uiPort?: number;
  dbFile?: string;
  /** Cluster only: who started it, in its database names. */
  label?: string;
  /** Where the server's output goes (appended). */
  logFile?: string;
  /** Outlive this process. */
  detached?: boolean;
}

export async function startTemporal(
  kind: TemporalKind,
  options: StartTemporalOptions = {},
): Promise<TemporalServer> {
  if (kind === "dev") {
    const dev = await startTemporalDevServer(options);
    return { kind, ...dev, stop: () => dev.stop() };
  }
  const cluster = await startTemporalCluster({
    label: options.label,
    port: options.port,
    logFile: options.logFile,
    detached: options.detached,
  });
  return {
    kind,
    address: cluster.address,
    port: cluster.port,
    get pid() {
      return cluster.pid;
    },
    get process() {
      return cluster.process;
    },
    cluster,
    stop: () => cluster.stop(),
  };
}

/** One line naming what runs where, for a run's log. */
export function describeTemporal(server: TemporalServer): string {
  if (!server.cluster) return `temporal dev server at ${server.address} (pid ${server.pid})`;
  const c = server.cluster;
  return `temporal server ${c.address} on PostgreSQL (pid ${c.pid}, ${c.numHistoryShards} ` +
    `history shards, databases ${c.databases.persistence} + ${c.databases.visibility})`;
}
