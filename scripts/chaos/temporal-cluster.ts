/**
 * The Temporal server of a chaos run on the `cluster` profile: temporal-server v1.29.1 on the
 * machine's PostgreSQL (scripts/lib/temporal-cluster.ts: its own history and visibility
 * databases, 4 history shards), restartable on the same ports with the same databases, so the
 * existing `temporal-restart` fault stops the production-shaped server mid-run (SIGTERM, the
 * profile's downtime with nothing listening, a new process) and every workflow must still
 * converge from what it persisted. Its databases are dropped when the run passes and kept,
 * named in the output, when it fails.
 */
import type { ChaosTemporal } from "./services.ts";
import { startTemporalCluster, type TemporalCluster } from "../lib/temporal-cluster.ts";

export class ClusterTemporalService implements ChaosTemporal {
  private constructor(private readonly cluster: TemporalCluster) {}

  static async start(logFile: string): Promise<ClusterTemporalService> {
    // Kept at stop: the run decides after its checks whether they are dropped.
    const cluster = await startTemporalCluster({ label: "chaos", logFile, keepDatabases: true });
    return new ClusterTemporalService(cluster);
  }

  get address(): string {
    return this.cluster.address;
  }

  get pid(): number {
    return this.cluster.pid;
  }

  describe(): string {
    const c = this.cluster;
    return `temporal-server on PostgreSQL ${c.address} (pid ${c.pid}, ${c.numHistoryShards} ` +
      `history shards, databases ${c.databases.persistence} + ${c.databases.visibility})`;
  }

  restart(downtimeMs: number): Promise<void> {
    return this.cluster.restart(downtimeMs);
  }

  stop(): Promise<void> {
    return this.cluster.stopServer();
  }

  dropData(): Promise<void> {
    return this.cluster.dropDatabases();
  }
}
