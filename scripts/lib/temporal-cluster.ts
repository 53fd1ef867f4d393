/**
 * Starts a production-shaped Temporal server: the real `temporal-server` v1.29.1 (built from
 * Go modules into .cache/bin by scripts/services.sh, never downloaded) persisting to the local
 * PostgreSQL, with the same start/stop interface as temporal-dev-server.ts so that tests, the
 * demo, the benchmarks and the chaos run can use either.
 *
 * A start: two databases of its own in PostgreSQL (`temporal_<label>_<random>` for history and
 * `…_visibility`; unique per start, so parallel runs never meet) created and brought to the
 * current schema with temporal-sql-tool (create-database, setup-schema -v 0.0, update-schema,
 * exactly what an operator runs for a new cluster); a config (temporal-cluster-config.ts: 4
 * history shards, every service on a free loopback port) and the dynamic config of compose.yaml
 * (deploy/temporal/dynamic-config.yaml); the server; once its frontend answers, the namespace
 * (`temporal operator namespace create`) and the project's search attributes (`temporal
 * operator search-attribute create`); and a probe workflow carrying those attributes, started
 * and found again through visibility, so that a caller never meets a namespace or attribute
 * the server's caches do not know yet. A stop: SIGTERM (SIGKILL after 20 s), then both
 * databases dropped, unless KEEP=1 (or `keepDatabases`) keeps them for inspection.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { promisify } from "node:util";
import { freePortInRange, portIsFree } from "./free-port.ts";
import { clusterConfigYaml, type ClusterPorts, PORT_NAMES } from "./temporal-cluster-config.ts";
import { repoRoot, temporalBinary } from "./temporal-dev-server.ts";
import { CLAIMS_NAMESPACE, CLAIMS_SEARCH_ATTRIBUTES } from "./temporal-namespace.ts";

const execFileAsync = promisify(execFile);

export const TEMPORAL_SERVER_VERSION = "1.29.1";
export const temporalServerBinary = process.env["TEMPORAL_SERVER_BIN"] ??
  path.join(repoRoot, ".cache", "bin", "temporal-server");
export const temporalSqlToolBinary = process.env["TEMPORAL_SQL_TOOL_BIN"] ??
  path.join(repoRoot, ".cache", "bin", "temporal-sql-tool");
export const dynamicConfigFile = path.join(repoRoot, "deploy", "temporal", "dynamic-config.yaml");

/** Where the server's databases live: the PostgreSQL the tests use. */
export const clusterPostgresUrl = process.env["TEMPORAL_CLUSTER_PG_URL"] ??
  process.env["TEST_PG_ADMIN_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** History shards unless TEMPORAL_CLUSTER_SHARDS says otherwise (compose.yaml: the same). */
export const DEFAULT_HISTORY_SHARDS = 4;

/** The schemas embedded in temporal-sql-tool for each of the server's two databases. */
export const SCHEMAS = {
  persistence: "postgresql/v12/temporal",
  visibility: "postgresql/v12/visibility",
} as const;

const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;
const BIND_ATTEMPTS = 3;

export interface ClusterOptions {
  /** In the database names (`temporal_<label>_<random>`): who started it. */
  label?: string;
  /** History shards; TEMPORAL_CLUSTER_SHARDS or 4. */
  numHistoryShards?: number;
  /** Frontend gRPC port; a free one when omitted. */
  port?: number;
  /** Prometheus metrics on a free port (its port in `ports.metrics`); off when omitted. */
  metrics?: boolean;
  namespace?: string;
  /** Namespace retention of closed workflows. */
  retention?: string;
  /** The server's output (appended); .cache/logs/temporal-cluster-<name>.log when omitted. */
  logFile?: string;
  /** Outlive this process (`make services TEMPORAL=postgres`, the demo with KEEP=1). */
  detached?: boolean;
  /** Keep both databases at stop; KEEP=1 sets it. */
  keepDatabases?: boolean;
  logLevel?: "debug" | "info" | "warn" | "error";
}

export interface TemporalCluster {
  kind: "postgres";
  address: string;
  port: number;
  uiUrl?: string;
  pid: number;
  process: ChildProcess;
  namespace: string;
  numHistoryShards: number;
  databases: { persistence: string; visibility: string };
  ports: ClusterPorts;
  configDir: string;
  logFile: string;
  /** SIGTERM, `downtimeMs` with nothing listening, then the same ports and databases again. */
  restart(downtimeMs?: number): Promise<void>;
  /** Stops the server process only; the databases stay. */
  stopServer(): Promise<void>;
  /** Drops both databases (the server must be stopped). */
  dropDatabases(): Promise<void>;
  /** Stops the server and drops its databases unless they are kept. */
  stop(): Promise<void>;
}

/** Drops a cluster's two databases (its server must be stopped): `temporal-cluster.ts stop`. */
export async function dropClusterDatabases(databases: {
  persistence: string;
  visibility: string;
}): Promise<void> {
  const pg = pgTarget(clusterPostgresUrl);
  await Promise.all([
    dropDatabase(pg, databases.persistence),
    dropDatabase(pg, databases.visibility),
  ]);
}

export function assertClusterBinaries(): void {
  for (
    const [what, file] of [
      ["temporal-server", temporalServerBinary],
      ["temporal-sql-tool", temporalSqlToolBinary],
      ["Temporal CLI", temporalBinary],
    ]
  ) {
    if (!fs.existsSync(file!)) {
      throw new Error(
        `${what} not found at ${file}; run 'make services' (it builds it from Go modules)`,
      );
    }
  }
}

interface PgTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

function pgTarget(url: string): PgTarget {
  const u = new URL(url);
  return {
    host: u.hostname || "127.0.0.1",
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || "postgres"),
    password: decodeURIComponent(u.password),
  };
}

/** temporal-sql-tool against one database; the password goes by environment, not argv. */
async function sqlTool(pg: PgTarget, database: string, args: string[]): Promise<void> {
  const argv = [
    "--plugin",
    "postgres12",
    "--endpoint",
    pg.host,
    "--port",
    String(pg.port),
    "--user",
    pg.user,
    "--database",
    database,
    ...args,
  ];
  try {
    await execFileAsync(temporalSqlToolBinary, argv, {
      env: { ...process.env, SQL_PASSWORD: pg.password },
      maxBuffer: 32 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    const output = `${e.stdout ?? ""}${e.stderr ?? ""}`.trim().split("\n").slice(-5).join("\n");
    throw new Error(
      `temporal-sql-tool ${args[0]} --database ${database} failed on ${pg.host}:${pg.port}: ` +
        (output || e.message),
      { cause: error },
    );
  }
}

/**
 * A database at the server's current schema, the way a new cluster is set up: create it,
 * install the schema versioning tables (-v 0.0), then apply every versioned step up to the
 * release's schema (1.18 for history, 1.9 for visibility in v1.29.1), from the schemas
 * embedded in the tool.
 */
async function setUpDatabase(pg: PgTarget, database: string, schema: string): Promise<void> {
  await sqlTool(pg, database, ["create-database"]);
  await sqlTool(pg, database, ["setup-schema", "-v", "0.0"]);
  await sqlTool(pg, database, ["update-schema", "--schema-name", schema]);
}

async function dropDatabase(pg: PgTarget, database: string): Promise<void> {
  // A backend of the stopped server can take a moment to go away.
  for (let attempt = 1;; attempt++) {
    try {
      await sqlTool(pg, database, ["drop-database", "--force"]);
      return;
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Every port the cluster listens on, below Linux's ephemeral range (32768-60999): the
 * membership ports are stored in a SMALLINT column (cluster_membership.rpc_port), and ports
 * outside the range the OS hands out to outgoing connections are less likely to be taken
 * between this pick and the server's bind.
 */
async function allocatePorts(frontendGrpc?: number, metrics?: boolean): Promise<ClusterPorts> {
  const taken = new Set<number>(frontendGrpc ? [frontendGrpc] : []);
  const next = async () => {
    const port = await freePortInRange(20_000, 32_767, taken);
    taken.add(port);
    return port;
  };
  const ports = {} as ClusterPorts;
  for (const name of PORT_NAMES) {
    ports[name] = name === "frontendGrpc" && frontendGrpc ? frontendGrpc : await next();
  }
  if (metrics) ports.metrics = await next();
  return ports;
}

/** Runs the Temporal CLI against the cluster; its output is returned, a failure thrown. */
async function temporalCli(address: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(temporalBinary, [...args, "--address", address]);
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`temporal ${args.join(" ")} failed: ${(e.stderr ?? e.message).trim()}`, {
      cause: error,
    });
  }
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** The port a failed start could not bind, from the server's log. */
export function bindFailure(log: string): string | null {
  const match = /listen tcp ([\d.:\[\]a-f]+): bind: address already in use/.exec(log) ??
    /(\d+\.\d+\.\d+\.\d+:\d+).{0,200}address already in use/.exec(log);
  return match ? match[1]! : null;
}

/** Health (the frontend's gRPC health check) and, once it exists, the namespace. */
async function waitForFrontend(
  address: string,
  namespace: string | null,
  exited: () => boolean,
): Promise<void> {
  const { Connection } = await import("@temporalio/client");
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline && !exited()) {
    const connection = await Connection.connect({ address, connectTimeout: 2_000 }).catch((e) => {
      lastError = e;
      return undefined;
    });
    if (connection) {
      try {
        const health = await connection.healthService.check({});
        if (health.status !== 1) throw new Error(`health status ${health.status}, not SERVING`);
        if (namespace) await connection.workflowService.describeNamespace({ namespace });
        return;
      } catch (e) {
        lastError = e;
      } finally {
        await connection.close();
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (exited()) return; // the caller reports the exit
  throw new Error(`temporal cluster at ${address} not ready: ${String(lastError)}`);
}

/** The namespace and the search attributes, each created unless it exists (a reused cluster). */
async function registerNamespace(address: string, namespace: string, retention: string) {
  const { Connection } = await import("@temporalio/client");
  const connection = await Connection.connect({ address });
  try {
    const exists = await connection.workflowService.describeNamespace({ namespace }).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await temporalCli(address, [
        "operator",
        "namespace",
        "create",
        "--namespace",
        namespace,
        "--retention",
        retention,
      ]);
    }
    // A new namespace reaches every service's cache within its refresh interval (2 s).
    let custom: Record<string, unknown> = {};
    for (let attempt = 1;; attempt++) {
      try {
        custom = (await connection.operatorService.listSearchAttributes({ namespace }))
          .customAttributes ?? {};
        break;
      } catch (error) {
        if (attempt >= 40) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const missing = CLAIMS_SEARCH_ATTRIBUTES.filter((a) => !(a.name in custom));
    if (missing.length > 0) {
      await temporalCli(address, [
        "operator",
        "search-attribute",
        "create",
        "--namespace",
        namespace,
        ...missing.flatMap((a) => ["--name", a.name, "--type", a.type]),
      ]);
    }
  } finally {
    await connection.close();
  }
}

/**
 * A workflow that nobody runs, started with every project search attribute set, found through
 * visibility by those attributes, then terminated and deleted: proof that the frontend, history
 * and the visibility store all know the namespace and its attributes.
 */
async function probe(address: string, namespace: string): Promise<void> {
  const { Client, Connection } = await import("@temporalio/client");
  const { defineSearchAttributeKey, SearchAttributeType } = await import("@temporalio/common");
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const id = `temporal-cluster-probe-${crypto.randomBytes(4).toString("hex")}`;
  const values = Object.fromEntries(
    CLAIMS_SEARCH_ATTRIBUTES.map((a) => [a.name, a.name === "ClaimDate" ? "2000-01-01" : "probe"]),
  );
  const query = [`WorkflowId = '${id}'`]
    .concat(Object.entries(values).map(([name, value]) => `${name} = '${value}'`))
    .join(" AND ");
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  try {
    let started = false;
    while (Date.now() < deadline) {
      try {
        if (!started) {
          await client.workflow.start("TemporalClusterProbe", {
            workflowId: id,
            taskQueue: id,
            typedSearchAttributes: CLAIMS_SEARCH_ATTRIBUTES.map((a) => ({
              key: defineSearchAttributeKey(a.name, SearchAttributeType.KEYWORD),
              value: values[a.name]!,
            })),
          });
          started = true;
        }
        if ((await client.workflow.count(query)).count === 1) {
          await client.workflow.getHandle(id).terminate("temporal-cluster readiness probe");
          await connection.workflowService.deleteWorkflowExecution({
            namespace,
            workflowExecution: { workflowId: id },
          });
          return;
        }
      } catch (error) {
        lastError = error;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(
      `temporal cluster at ${address}: a workflow with the search attributes ` +
        `${Object.keys(values).join(", ")} was not found through visibility within ` +
        `${READY_TIMEOUT_MS / 1000} s (${String(lastError ?? "not visible")})`,
    );
  } finally {
    await connection.close();
  }
}

export async function startTemporalCluster(options: ClusterOptions = {}): Promise<TemporalCluster> {
  assertClusterBinaries();
  const label = (options.label ?? "cluster").toLowerCase().replace(/[^a-z0-9]/g, "");
  const name = `temporal_${label}_${crypto.randomBytes(4).toString("hex")}`;
  const databases = { persistence: name, visibility: `${name}_visibility` };
  const namespace = options.namespace ?? CLAIMS_NAMESPACE;
  const numHistoryShards = options.numHistoryShards ??
    Number(process.env["TEMPORAL_CLUSTER_SHARDS"] ?? DEFAULT_HISTORY_SHARDS);
  const keep = options.keepDatabases ?? process.env["KEEP"] === "1";
  const pg = pgTarget(clusterPostgresUrl);
  const configDir = path.join(repoRoot, ".cache", "tmp", `temporal-cluster-${name}`, "config");
  const logFile = options.logFile ??
    path.join(repoRoot, ".cache", "logs", `temporal-cluster-${name}.log`);
  fs.mkdirSync(configDir, { recursive: true });
  fs.mkdirSync(path.dirname(logFile), { recursive: true });

  let dbsCreated = false;
  const dropAll = async () => {
    if (!dbsCreated) return;
    await Promise.all([
      dropDatabase(pg, databases.persistence),
      dropDatabase(pg, databases.visibility),
    ]);
    dbsCreated = false;
  };

  let ports!: ClusterPorts;
  let child!: ChildProcess;
  let exited!: Promise<void>;
  let hasExited = false;

  const writeConfig = () =>
    fs.writeFileSync(
      path.join(configDir, "cluster.yaml"),
      clusterConfigYaml({
        numHistoryShards,
        ports,
        postgres: pg,
        databases,
        maxConns: { persistence: 10, visibility: 4 },
        dynamicConfigFile,
        logLevel: options.logLevel ?? "warn",
      }),
      { mode: 0o600 },
    );

  /** One server process on `ports`; resolves once the frontend answers, or throws. */
  const spawnServer = async (namespaceExists: boolean) => {
    const fd = fs.openSync(logFile, "a");
    const logStart = fs.fstatSync(fd).size;
    child = spawn(
      temporalServerBinary,
      [
        "--root",
        path.dirname(configDir),
        "--config",
        "config",
        "--env",
        "cluster",
        "--allow-no-auth",
        "start",
      ],
      { stdio: ["ignore", fd, fd], detached: options.detached ?? false },
    );
    fs.closeSync(fd);
    if (options.detached) child.unref();
    hasExited = false;
    const current = child;
    exited = new Promise<void>((resolve) =>
      current.once("exit", () => {
        hasExited = true;
        resolve();
      })
    );
    await waitForFrontend(
      `127.0.0.1:${ports.frontendGrpc}`,
      namespaceExists ? namespace : null,
      () => hasExited,
    ).catch(async (error) => {
      current.kill("SIGKILL");
      await exited;
      throw error;
    });
    if (hasExited) {
      const log = fs.readFileSync(logFile, "utf8").slice(logStart);
      const port = bindFailure(log);
      if (port) {
        throw Object.assign(
          new Error(`temporal-server could not bind ${port} (address already in use)`),
          { bind: true },
        );
      }
      throw new Error(
        `temporal-server exited at start (exit ${current.exitCode ?? current.signalCode}); ` +
          `${logFile} ends with:\n${tail(logFile)}`,
      );
    }
  };

  if (options.port && !(await portIsFree(options.port))) {
    throw new Error(
      `temporal cluster: port ${options.port} on 127.0.0.1 is taken; free it or choose another`,
    );
  }
  try {
    await Promise.all([
      setUpDatabase(pg, databases.persistence, SCHEMAS.persistence),
      setUpDatabase(pg, databases.visibility, SCHEMAS.visibility),
    ]).finally(() => (dbsCreated = true));
    // Free ports are free only a moment ago: another process may take one before the server
    // binds it. The server then names the port and exits; start again on new ports.
    for (let attempt = 1;; attempt++) {
      ports = await allocatePorts(options.port, options.metrics);
      writeConfig();
      try {
        await spawnServer(false);
        break;
      } catch (error) {
        const bind = (error as { bind?: boolean }).bind === true;
        if (!bind || attempt >= BIND_ATTEMPTS || options.port) {
          throw bind
            ? new Error(
              `${(error as Error).message} after ${attempt} attempt(s); free the port or ` +
                `choose another (see ${logFile})`,
            )
            : error;
        }
        console.error(`temporal cluster: ${(error as Error).message}; new ports (${attempt})`);
      }
    }
    const address = `127.0.0.1:${ports.frontendGrpc}`;
    await registerNamespace(address, namespace, options.retention ?? "24h");
    await probe(address, namespace);
  } catch (error) {
    if (child && !hasExited) {
      child.kill("SIGKILL");
      await exited;
    }
    if (!keep) await dropAll().catch(() => undefined);
    throw error;
  }

  const stopServer = async () => {
    if (hasExited) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const cluster: TemporalCluster = {
    kind: "postgres",
    address: `127.0.0.1:${ports.frontendGrpc}`,
    port: ports.frontendGrpc,
    pid: child.pid ?? -1,
    process: child,
    namespace,
    numHistoryShards,
    databases,
    ports,
    configDir,
    logFile,
    async restart(downtimeMs = 0) {
      await stopServer();
      await new Promise((r) => setTimeout(r, downtimeMs));
      // Same ports: clients keep their address. A port taken meanwhile is retried briefly.
      for (let attempt = 1;; attempt++) {
        try {
          await spawnServer(true);
          break;
        } catch (error) {
          if ((error as { bind?: boolean }).bind !== true || attempt >= 10) throw error;
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
      cluster.pid = child.pid ?? -1;
      cluster.process = child;
    },
    stopServer,
    dropDatabases: dropAll,
    async stop() {
      await stopServer();
      if (keep) return;
      await dropAll();
      fs.rmSync(path.dirname(configDir), { recursive: true, force: true });
    },
  };
  return cluster;
}
