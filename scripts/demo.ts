/**
 * `make demo`: the main job end to end on local services, through the same CLI an operator
 * uses. Migrates, seeds two weeks of a reproducible book of policies, ensures the daily
 * schedule, starts a worker, backfills the two weeks through the schedule (nominal times, not
 * the clock), imports late events with recalculation, prints the per-day report, verifies
 * (0 differences or the demo fails) and stops what it started (unless KEEP=1).
 * Idempotent: a second run gives the same report and writes nothing new.
 * Temporal: the CLI dev server with its UI, or with `--temporal postgres` (TEMPORAL=postgres)
 * the self-hosted server on PostgreSQL (scripts/lib/temporal-cluster.ts: its own two
 * databases, 4 history shards, free ports; no UI), dropped again at the end unless KEEP=1.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { Client, Connection } from "@temporalio/client";
import { parseArgs } from "node:util";
import { repoRoot } from "./lib/temporal-dev-server.ts";
import { freePort, waitForPort } from "./lib/free-port.ts";
import { unlessDead, type Watch, watchChild } from "./lib/watch-child.ts";
import {
  describeTemporal,
  parseTemporalKind,
  startTemporal,
  temporalKindFromEnv,
} from "./lib/temporal-server.ts";

const env = process.env;
const { values: flags } = parseArgs({ options: { temporal: { type: "string" } } });
const TEMPORAL = flags.temporal === undefined
  ? temporalKindFromEnv()
  : parseTemporalKind(flags.temporal, "--temporal");
const KEEP = env["KEEP"] === "1";
const demoDir = path.join(repoRoot, ".cache", "demo");
const FROM = env["DEMO_FROM"] ?? "2025-06-01";
const TO = env["DEMO_TO"] ?? "2025-06-14";
const POLICIES = env["DEMO_POLICIES"] ?? "3000";
const SEED = env["DEMO_SEED"] ?? "20250601";
// The dev server takes 7233 like a local Temporal; the cluster a free port unless one is given.
const temporalPort = Number(
  env["DEMO_TEMPORAL_PORT"] ?? (TEMPORAL === "dev" ? "7233" : "0"),
);
const uiPort = Number(env["DEMO_UI_PORT"] ?? "8233");
const lateFile = path.join(demoDir, "late-events.jsonl");

const demoEnv: Record<string, string> = {
  ...env as Record<string, string>,
  DATABASE_URL: env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/claims_demo",
  REDIS_URL: env["REDIS_URL"] ?? "redis://127.0.0.1:6379/0",
  TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
  TEMPORAL_NAMESPACE: env["TEMPORAL_NAMESPACE"] ?? "default",
  TEMPORAL_UI_URL: env["TEMPORAL_UI_URL"] ?? `http://127.0.0.1:${uiPort}`,
  TEMPORAL_TASK_QUEUE: env["TEMPORAL_TASK_QUEUE"] ?? "claims-demo",
  SCHEDULE_ID: env["SCHEDULE_ID"] ?? "claims-daily-demo",
  // A free port unless one is asked for: a second worker on this host holds 9464 often enough.
  METRICS_PORT: env["METRICS_PORT"] ?? String(await freePort()),
  LOG_LEVEL: env["LOG_LEVEL"] ?? "warn",
};

const started: { name: string; stop: () => Promise<void> }[] = [];
/** What KEEP=1 leaves running, written to .cache/demo/kept.json (scripts/monitoring uses it). */
const kept: { pids: number[]; metricsPort: number; temporalAddress: string } = {
  pids: [],
  metricsPort: Number(demoEnv["METRICS_PORT"]),
  temporalAddress: demoEnv["TEMPORAL_ADDRESS"]!,
};
const t0 = Date.now();

function step(title: string): void {
  const s = ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
  console.log(`\n\x1b[1m[${s} s] ${title}\x1b[0m`);
}

/** `claims` processes running now: stopped when the demo fails half-way. */
const running = new Set<ChildProcess>();

/** Runs `claims <args>` as an operator would; its output goes to ours; throws on non-zero exit. */
function claims(args: string[], options: { capture?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: repoRoot,
      env: demoEnv,
      stdio: ["ignore", options.capture ? "pipe" : "inherit", "inherit"],
    });
    running.add(child);
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      running.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`claims ${args.join(" ")} failed (exit ${code ?? signal})`));
    });
  });
}

/**
 * A server the demo did not start may lack the runs' search attributes: register them (the dev
 * server the demo starts has them from its command line). Idempotent.
 */
async function ensureSearchAttributes(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace,
    });
    const missing = ["ClaimDate", "RunKind"].filter((n) => !(n in (customAttributes ?? {})));
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      // 2 = INDEXED_VALUE_TYPE_KEYWORD
      searchAttributes: Object.fromEntries(missing.map((n) => [n, 2])),
    });
    console.log(`  registered search attribute(s) ${missing.join(", ")}`);
  } finally {
    await connection.close();
  }
}

async function temporalAlreadyThere(): Promise<boolean> {
  try {
    await waitForPort("127.0.0.1", temporalPort, 300);
    return true;
  } catch {
    return false;
  }
}

/** The worker, watched: if it exits before the demo stops it, the demo fails at once. */
function startWorker(): { child: ChildProcess; watch: Watch } {
  const logFile = path.join(demoDir, "worker.log");
  fs.writeFileSync(logFile, ""); // this run's lines only: they are quoted if it dies
  const log = fs.openSync(logFile, "a");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "worker"],
    { cwd: repoRoot, env: demoEnv, stdio: ["ignore", log, log], detached: KEEP },
  );
  fs.closeSync(log);
  if (KEEP) child.unref();
  const watch = watchChild({ name: "the demo's worker", child, log: { file: logFile } });
  started.push({
    name: `worker (pid ${child.pid})`,
    stop: async () => {
      watch.expectExit();
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await watch.exited;
      clearTimeout(timer);
    },
  });
  return { child, watch };
}

/** Waits until the worker's /readyz answers 200 (or fails with its own words if it died). */
async function workerReady(watch: Watch): Promise<void> {
  if (demoEnv["METRICS_PORT"] === "0") return; // no health endpoint: the backfill waits instead
  const url = `http://127.0.0.1:${demoEnv["METRICS_PORT"]}/readyz`;
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await unlessDead(new Promise((r) => setTimeout(r, 250)), watch);
  }
}

/**
 * Waits until at least `expected` workflows match `query` and none of them runs, printing a
 * progress line. Visibility is eventually consistent (on a self-hosted server it trails the
 * workflows by a moment): counting until the number the demo started shows up keeps a run that
 * has not appeared yet from looking like "all finished".
 */
async function waitForWorkflows(
  client: Client,
  query: string,
  label: string,
  expected: number,
): Promise<void> {
  let last = "";
  for (;;) {
    const running = (await client.workflow.count(`${query} AND ExecutionStatus = 'Running'`)).count;
    const total = (await client.workflow.count(query)).count;
    const line = `  ${label}: ${total - running}/${Math.max(total, expected)} finished`;
    if (line !== last) {
      process.stdout.write(process.stdout.isTTY ? `\r${line}   ` : `${line}\n`);
      last = line;
    }
    if (running === 0 && total >= expected) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (process.stdout.isTTY) process.stdout.write("\n");
}

async function main(): Promise<void> {
  fs.mkdirSync(demoDir, { recursive: true });
  step("services: PostgreSQL, Redis, Temporal CLI");
  await new Promise<void>((resolve, reject) =>
    spawn("bash", [path.join(repoRoot, "scripts", "services.sh")], { stdio: "inherit" })
      .once("exit", (c) => (c === 0 ? resolve() : reject(new Error("services failed"))))
  );

  let uiUrl: string | null = `http://127.0.0.1:${uiPort}`;
  if (TEMPORAL === "postgres") {
    step("Temporal server on PostgreSQL (its own two databases, 4 history shards)");
    const server = await startTemporal("postgres", {
      port: temporalPort || undefined,
      label: "demo",
      logFile: path.join(demoDir, "temporal-cluster.log"),
      detached: KEEP,
    });
    uiUrl = null;
    demoEnv["TEMPORAL_ADDRESS"] = server.address;
    kept.temporalAddress = server.address;
    started.push({ name: describeTemporal(server), stop: () => server.stop() });
    console.log(`  ${describeTemporal(server)}`);
  } else {
    step(`Temporal dev server with UI (db ${path.relative(repoRoot, demoDir)}/temporal.db)`);
    if (await temporalAlreadyThere()) {
      console.log(`  a Temporal server already listens on 127.0.0.1:${temporalPort}; using it`);
      await ensureSearchAttributes(demoEnv["TEMPORAL_ADDRESS"]!, demoEnv["TEMPORAL_NAMESPACE"]!);
    } else {
      const server = await startTemporal("dev", {
        port: temporalPort,
        uiPort,
        dbFile: path.join(demoDir, "temporal.db"),
        logFile: path.join(demoDir, "temporal.log"),
        detached: KEEP,
      });
      uiUrl = server.uiUrl ?? uiUrl;
      kept.pids.push(server.pid);
      started.push({ name: `temporal dev server (pid ${server.pid})`, stop: () => server.stop() });
      console.log(`  listening on ${server.address}, UI ${uiUrl}`);
    }
  }

  step("migrate");
  await claims(["migrate"]);

  step(`seed ${POLICIES} policies, ${FROM} .. ${TO} (late events kept aside in a file)`);
  await claims([
    "seed",
    "--policies",
    POLICIES,
    "--days",
    "14",
    "--start",
    FROM,
    "--events-per-day",
    "3",
    "--seed",
    SEED,
    "--late-file",
    lateFile,
  ]);

  step("schedule ensure (daily at 13:00 UTC: computes the claim date that just ended everywhere)");
  await claims(["schedule", "ensure"]);

  step("worker");
  const worker = startWorker();
  if (worker.child.pid) kept.pids.push(worker.child.pid);
  const workerLog = path.join(demoDir, "worker.log");
  await workerReady(worker.watch);
  console.log(
    `  pid ${worker.child.pid}, log ${path.relative(repoRoot, workerLog)}, ` +
      `metrics http://127.0.0.1:${demoEnv["METRICS_PORT"]}/metrics (/healthz, /readyz)`,
  );

  const connection = await Connection.connect({ address: demoEnv["TEMPORAL_ADDRESS"]! });
  const client = new Client({ connection, namespace: demoEnv["TEMPORAL_NAMESPACE"]! });
  try {
    step(`schedule backfill --from ${FROM} --to ${TO} --wait (one daily run per claim date)`);
    await unlessDead(
      claims(["schedule", "backfill", "--from", FROM, "--to", TO, "--wait"]),
      worker.watch,
    );

    step("late events arrive: events import --recalculate");
    const importStart = new Date().toISOString();
    const imported = await unlessDead(
      claims(["events", "import", lateFile, "--recalculate"], { capture: true }),
      worker.watch,
    );
    process.stdout.write(imported);
    // A few days get a workflow each (claim-calc:…), many go in batches per date (claims-recalc:…).
    const recalcQuery = "(WorkflowId STARTS_WITH 'claim-calc:' OR " +
      `WorkflowId STARTS_WITH 'claims-recalc:') AND StartTime >= '${importStart}'`;
    const startedNow = Number(/recalculation: .*?(\d+) started/.exec(imported)?.[1] ?? 0);
    if (startedNow > 0) {
      await unlessDead(
        waitForWorkflows(client, recalcQuery, "recalculations", startedNow),
        worker.watch,
      );
    } else console.log("  nothing new to recalculate");

    step("runs: what Temporal holds for this task queue");
    await unlessDead(claims(["runs", "--limit", "5"]), worker.watch);
  } finally {
    await connection.close();
  }

  step(`report ${FROM} .. ${TO}`);
  await claims(["report", "--from", FROM, "--to", TO, "--format", "table"]);

  step("verify: recompute every stored policy-day from stored events");
  await claims(["verify"]);

  step("done");
  console.log(`  Temporal:    ${demoEnv["TEMPORAL_ADDRESS"]} (${TEMPORAL})`);
  if (uiUrl) console.log(`  Temporal UI: ${uiUrl}`);
  console.log(`  database:    ${demoEnv["DATABASE_URL"]}`);
  if (KEEP) {
    fs.writeFileSync(path.join(demoDir, "kept.json"), JSON.stringify(kept) + "\n");
    console.log(
      "  KEEP=1: the worker and the Temporal server keep running " +
        `(pids ${kept.pids.join(" ")}, in ${path.relative(repoRoot, demoDir)}/kept.json)`,
    );
  }
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(`\ndemo failed: ${(error as Error).message}`);
  for (const child of running) child.kill("SIGTERM");
} finally {
  if (!KEEP) {
    for (const s of started.reverse()) {
      console.log(`stopping ${s.name}`);
      await s.stop().catch(() => {});
    }
  }
}
process.exit(failed ? 1 : 0);
