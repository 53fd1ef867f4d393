/**
 * A self-hosted Temporal server on the local PostgreSQL that keeps running in the background,
 * for a developer or an operator trying the production shape by hand:
 *
 *   make services TEMPORAL=postgres   # = node --import tsx scripts/temporal-cluster.ts start
 *   make cluster-stop                 # = … stop (KEEP=1 keeps its two databases)
 *   node --import tsx scripts/temporal-cluster.ts status
 *
 * `start` is idempotent: a cluster this checkout started and that still runs is reused. Its
 * address, pid and databases are kept in .cache/temporal-cluster.json; the server logs to
 * .cache/logs/temporal-cluster.log. Exit codes: 0 ok, 2 bad usage, 3 the cluster could not
 * start (its message says why, e.g. a port it could not bind).
 */
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { repoRoot } from "./lib/temporal-dev-server.ts";
import { dropClusterDatabases, startTemporalCluster } from "./lib/temporal-cluster.ts";

const stateFile = path.join(repoRoot, ".cache", "temporal-cluster.json");
const logFile = path.join(repoRoot, ".cache", "logs", "temporal-cluster.log");

interface State {
  address: string;
  pid: number;
  namespace: string;
  numHistoryShards: number;
  databases: { persistence: string; visibility: string };
  configDir: string;
  logFile: string;
  startedAt: string;
}

function readState(): State | null {
  try {
    return JSON.parse(fs.readFileSync(stateFile, "utf8")) as State;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function envLines(state: State): string {
  return [
    `  TEMPORAL_ADDRESS=${state.address}`,
    `  TEMPORAL_NAMESPACE=${state.namespace}`,
  ].join("\n");
}

async function start(port: number | undefined): Promise<number> {
  const running = readState();
  if (running && alive(running.pid)) {
    console.log(`temporal cluster already running at ${running.address} (pid ${running.pid})`);
    console.log(envLines(running));
    return 0;
  }
  const t0 = Date.now();
  const cluster = await startTemporalCluster({
    label: "local",
    port,
    logFile,
    detached: true,
    retention: "72h",
    // The databases outlive this process; `stop` drops them.
    keepDatabases: true,
  });
  const state: State = {
    address: cluster.address,
    pid: cluster.pid,
    namespace: cluster.namespace,
    numHistoryShards: cluster.numHistoryShards,
    databases: cluster.databases,
    configDir: cluster.configDir,
    logFile: cluster.logFile,
    startedAt: new Date().toISOString(),
  };
  fs.writeFileSync(stateFile, JSON.stringify(state, null, 2) + "\n");
  console.log(
    `temporal cluster: temporal-server at ${state.address} (pid ${state.pid}), ` +
      `${state.numHistoryShards} history shards, databases ${state.databases.persistence} + ` +
      `${state.databases.visibility}, namespace ${state.namespace} with its search attributes; ` +
      `ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; log ${
        path.relative(repoRoot, logFile)
      }`,
  );
  console.log(envLines(state));
  return 0;
}

async function stop(): Promise<number> {
  const state = readState();
  if (!state) {
    console.log("temporal cluster: none started from this checkout");
    return 0;
  }
  if (alive(state.pid)) {
    process.kill(state.pid, "SIGTERM");
    const deadline = Date.now() + 20_000;
    while (alive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive(state.pid)) process.kill(state.pid, "SIGKILL");
    while (alive(state.pid)) await new Promise((r) => setTimeout(r, 100));
  }
  if (process.env["KEEP"] === "1") {
    console.log(
      `temporal cluster stopped (pid ${state.pid}); KEEP=1: kept databases ` +
        `${state.databases.persistence} and ${state.databases.visibility}`,
    );
  } else {
    await dropClusterDatabases(state.databases);
    fs.rmSync(path.dirname(state.configDir), { recursive: true, force: true });
    console.log(
      `temporal cluster stopped (pid ${state.pid}); dropped ${state.databases.persistence} and ` +
        `${state.databases.visibility}`,
    );
  }
  fs.rmSync(stateFile, { force: true });
  return 0;
}

function status(): number {
  const state = readState();
  if (!state) {
    console.log("temporal cluster: none started from this checkout");
    return 1;
  }
  const up = alive(state.pid);
  console.log(
    `temporal cluster at ${state.address}: ${up ? "running" : "NOT running"} (pid ${state.pid}), ` +
      `databases ${state.databases.persistence} + ${state.databases.visibility}, since ` +
      state.startedAt,
  );
  if (up) console.log(envLines(state));
  return up ? 0 : 1;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { port: { type: "string" } },
    allowPositionals: true,
  });
  const command = positionals[0] ?? "status";
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      console.error(`--port: expected a port number 1-65535, got "${values.port}"`);
      return 2;
    }
  }
  switch (command) {
    case "start":
      try {
        return await start(port);
      } catch (error) {
        console.error(`temporal cluster: ${(error as Error).message}`);
        return 3;
      }
    case "stop":
      return await stop();
    case "status":
      return status();
    default:
      console.error(`unknown command "${command}": expected start, stop or status`);
      return 2;
  }
}

process.exit(await main());
