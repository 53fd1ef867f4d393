/**
 * The static configuration of a self-hosted Temporal server (v1.29.1, all four services in one
 * process) persisting to PostgreSQL: written by temporal-cluster.ts for every cluster it
 * starts. Pure: ports, databases and credentials in, YAML text out.
 *
 * What makes it production-shaped rather than a dev server: two PostgreSQL databases (the
 * history/persistence store and a separate visibility store, both `postgres12` schemas set up
 * by temporal-sql-tool), several history shards, each service on its own gRPC and membership
 * port. What keeps it local: every port on 127.0.0.1 (`bindOnLocalHost`), no archival, no
 * authorizer (loopback only), metrics and pprof off unless a port is given.
 */

export interface ClusterPorts {
  frontendGrpc: number;
  frontendHttp: number;
  frontendMembership: number;
  historyGrpc: number;
  historyMembership: number;
  matchingGrpc: number;
  matchingMembership: number;
  workerGrpc: number;
  workerMembership: number;
  /** Prometheus metrics (/metrics); off when absent. */
  metrics?: number;
}

export interface ClusterConfigInput {
  /** Fixed for the cluster's lifetime: the number of shards cannot change once data exists. */
  numHistoryShards: number;
  ports: ClusterPorts;
  postgres: { host: string; port: number; user: string; password: string };
  databases: { persistence: string; visibility: string };
  /** Connection pool per store and service (four services share the process). */
  maxConns: { persistence: number; visibility: number };
  /** Absolute path of the dynamic configuration file. */
  dynamicConfigFile: string;
  logLevel: "debug" | "info" | "warn" | "error";
}

/** Ports in the order they are allocated; every one must differ from the others. */
export const PORT_NAMES: readonly (keyof ClusterPorts)[] = [
  "frontendGrpc",
  "frontendHttp",
  "frontendMembership",
  "historyGrpc",
  "historyMembership",
  "matchingGrpc",
  "matchingMembership",
  "workerGrpc",
  "workerMembership",
];

export const MIN_HISTORY_SHARDS = 4;

/** cluster_membership.rpc_port is a SMALLINT: a larger port fails the server at start. */
export const MAX_MEMBERSHIP_PORT = 32_767;

/** A YAML scalar: JSON's quoting is valid YAML and escapes whatever a password holds. */
const q = (value: string | number | boolean) => JSON.stringify(value);

export function clusterConfigYaml(input: ClusterConfigInput): string {
  const { ports, postgres, databases } = input;
  if (!Number.isInteger(input.numHistoryShards) || input.numHistoryShards < MIN_HISTORY_SHARDS) {
    throw new Error(
      `numHistoryShards must be an integer >= ${MIN_HISTORY_SHARDS}, got ${input.numHistoryShards}`,
    );
  }
  const used = PORT_NAMES.map((name) => ports[name]!).concat(ports.metrics ?? []);
  if (new Set(used).size !== used.length || used.some((p) => !(p > 0 && p < 65536))) {
    throw new Error(`cluster ports must be distinct and in 1..65535, got ${used.join(", ")}`);
  }
  const membership = [ports.frontendMembership, ports.historyMembership, ports.matchingMembership];
  if ([...membership, ports.workerMembership].some((p) => p > MAX_MEMBERSHIP_PORT)) {
    throw new Error(
      `membership ports must be <= ${MAX_MEMBERSHIP_PORT} (Temporal stores them as SMALLINT)`,
    );
  }
  const store = (database: string, maxConns: number) => [
    "      sql:",
    '        pluginName: "postgres12"',
    `        databaseName: ${q(database)}`,
    `        connectAddr: ${q(`${postgres.host}:${postgres.port}`)}`,
    '        connectProtocol: "tcp"',
    `        user: ${q(postgres.user)}`,
    `        password: ${q(postgres.password)}`,
    `        maxConns: ${maxConns}`,
    `        maxIdleConns: ${maxConns}`,
    '        maxConnLifetime: "1h"',
  ];
  const service = (grpc: number, membership: number, http?: number) => [
    "    rpc:",
    `      grpcPort: ${grpc}`,
    `      membershipPort: ${membership}`,
    "      bindOnLocalHost: true",
    ...(http ? [`      httpPort: ${http}`] : []),
  ];
  const frontend = `127.0.0.1:${ports.frontendGrpc}`;
  return [
    "# Written by scripts/lib/temporal-cluster.ts; regenerated at every start.",
    "log:",
    "  stdout: true",
    `  level: ${q(input.logLevel)}`,
    "persistence:",
    `  numHistoryShards: ${input.numHistoryShards}`,
    '  defaultStore: "default"',
    '  visibilityStore: "visibility"',
    "  datastores:",
    "    default:",
    ...store(databases.persistence, input.maxConns.persistence),
    "    visibility:",
    ...store(databases.visibility, input.maxConns.visibility),
    "global:",
    "  membership:",
    '    maxJoinDuration: "30s"',
    '    broadcastAddress: "127.0.0.1"',
    "  pprof:",
    "    port: 0",
    ...(ports.metrics
      ? [
        "  metrics:",
        "    prometheus:",
        '      framework: "tally"',
        '      timerType: "histogram"',
        `      listenAddress: ${q(`127.0.0.1:${ports.metrics}`)}`,
      ]
      : []),
    "services:",
    "  frontend:",
    ...service(ports.frontendGrpc, ports.frontendMembership, ports.frontendHttp),
    "  history:",
    ...service(ports.historyGrpc, ports.historyMembership),
    "  matching:",
    ...service(ports.matchingGrpc, ports.matchingMembership),
    "  worker:",
    ...service(ports.workerGrpc, ports.workerMembership),
    "clusterMetadata:",
    "  enableGlobalNamespace: false",
    "  failoverVersionIncrement: 10",
    '  masterClusterName: "active"',
    '  currentClusterName: "active"',
    "  clusterInformation:",
    "    active:",
    "      enabled: true",
    "      initialFailoverVersion: 1",
    '      rpcName: "frontend"',
    `      rpcAddress: ${q(frontend)}`,
    `      httpAddress: ${q(`127.0.0.1:${ports.frontendHttp}`)}`,
    "dcRedirectionPolicy:",
    '  policy: "noop"',
    "archival:",
    "  history:",
    '    state: "disabled"',
    "  visibility:",
    '    state: "disabled"',
    "namespaceDefaults:",
    "  archival:",
    "    history:",
    '      state: "disabled"',
    "    visibility:",
    '      state: "disabled"',
    "publicClient:",
    `  hostPort: ${q(frontend)}`,
    "dynamicConfigClient:",
    `  filepath: ${q(input.dynamicConfigFile)}`,
    '  pollInterval: "10s"',
    "",
  ].join("\n");
}
