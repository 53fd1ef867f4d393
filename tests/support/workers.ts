/**
 * Worker processes for tests: `claims worker` on Node (`node dist/cli.js worker` with
 * CLAIMS_CLI=dist, else `node --import tsx src/cli/main.ts worker`) or on Deno
 * (`deno run -A src/cli/main.ts worker`), by default on the runtime the
 * test itself runs on, with the test's own database, Redis database, Temporal server and task
 * queue, each ready once it logs "worker running"; and an in-process worker (on the test's
 * runtime) for tests that inject faults into its deps.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  claimsCommand,
  currentRuntime,
  parseRuntime,
  type Runtime,
} from "../../scripts/lib/runtimes.ts";
import { signalChild } from "../../scripts/lib/signal-child.ts";
import { watchChild } from "../../scripts/lib/watch-child.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const READY_TIMEOUT_MS = 90_000;

export interface WorkerProcess {
  readonly pid: number;
  readonly name: string;
  /** The runtime the worker runs on. */
  readonly runtime: Runtime;
  /** stdout and stderr so far (JSON log lines). */
  output(): string;
  /** Parsed JSON log lines so far. */
  logs(): Record<string, unknown>[];
  /** The exit, once it happened. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM and wait: a drained worker exits 0. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: a crash, no draining. */
  kill(): Promise<void>;
  /** The metrics port the worker reported (null when METRICS_PORT=0). */
  metricsPort: number | null;
  /** True once `kill()` was called: its SIGKILL exit is the test's doing, not a failure. */
  killed: boolean;
}

export interface SpawnWorkerOptions {
  name?: string;
  env: Record<string, string>;
  /** A prebuilt workflow bundle (`prebuiltWorkflowBundle()`): skips bundling at start. */
  workflowBundle?: string;
  /**
   * The worker's runtime: TEST_WORKER_RUNTIME (node|deno) when set, else the runtime this
   * process runs on (`make test-deno` thus tests Deno workers).
   */
  runtime?: Runtime;
}

/** The runtime of spawned workers when a test does not choose one. */
export function defaultWorkerRuntime(): Runtime {
  const chosen = process.env["TEST_WORKER_RUNTIME"];
  return chosen ? parseRuntime(chosen, "TEST_WORKER_RUNTIME") : currentRuntime;
}

let bundle: Promise<string> | undefined;

/**
 * The workflows bundled once per test process into a temporary file, for every worker this
 * process spawns: bundling costs seconds of CPU per worker otherwise.
 */
export function prebuiltWorkflowBundle(): Promise<string> {
  // scripts/run-tests.ts bundles once for the whole run (on Node) and names the file here: a
  // Deno test process would otherwise bundle once per test file, and the bundler's native swc
  // module once crashed a Deno test process (a segfault in its thread pool).
  const given = process.env["TEST_WORKFLOW_BUNDLE"];
  if (given) return Promise.resolve(given);
  bundle ??= (async () => {
    const { writeWorkflowBundle } = await import("../../src/temporal/worker.ts");
    const file = path.join(os.tmpdir(), `claims-workflows-${process.pid}-${Date.now()}.js`);
    await writeWorkflowBundle(file);
    process.once("exit", () => fs.rmSync(file, { force: true }));
    return file;
  })();
  return bundle;
}

export async function spawnWorker(options: SpawnWorkerOptions): Promise<WorkerProcess> {
  const name = options.name ?? "worker";
  const runtime = options.runtime ?? defaultWorkerRuntime();
  const command = claimsCommand(runtime, [
    "worker",
    "--no-migrate",
    ...(options.workflowBundle ? ["--workflow-bundle", options.workflowBundle] : []),
  ]);
  const child: ChildProcess = spawn(
    command.command,
    command.args,
    {
      cwd: repoRoot,
      env: { ...process.env, METRICS_PORT: "0", LOG_LEVEL: "info", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let text = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (text += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (text += d));
  // A worker that exits before the test stops or kills it fails the test at once, naming it and
  // quoting its last lines, instead of leaving the test to time out waiting for its work.
  const watch = watchChild({
    name: `${name} (${runtime} worker)`,
    child,
    log: { text: () => text },
  });
  const exited = watch.exited;
  const logs = () =>
    text.split("\n").flatMap((line) => {
      if (!line.startsWith("{")) return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  const handle: WorkerProcess = {
    pid: child.pid ?? -1,
    name,
    runtime,
    output: () => text,
    logs,
    exited,
    metricsPort: null,
    killed: false,
    async stop(timeoutMs = 30_000) {
      watch.expectExit();
      signalChild(child, "SIGTERM");
      const timer = setTimeout(() => signalChild(child, "SIGKILL"), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    async kill() {
      handle.killed = true;
      watch.expectExit();
      signalChild(child, "SIGKILL");
      await exited;
    },
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const ready = logs().find((l) => l["msg"] === "worker running");
    if (ready) {
      // The worker names its runtime: a Deno worker that silently ran on Node (or the other
      // way round) would prove nothing.
      if (!String(ready["runtime"]).startsWith(`${runtime} `)) {
        watch.expectExit();
        signalChild(child, "SIGKILL");
        throw new Error(`${name} should run on ${runtime}, reports ${String(ready["runtime"])}`);
      }
      handle.metricsPort = typeof ready["metricsPort"] === "number" ? ready["metricsPort"] : null;
      watch.failure.catch((error: Error) => {
        console.error(error.message);
        // Thrown outside any promise chain: the running test fails now (node:test and deno
        // test both fail a test on an uncaught error), not when its wait times out.
        setTimeout(() => {
          throw error;
        });
      });
      return handle;
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      watch.expectExit();
      throw new Error(`${name} exited before it was ready:\n${text}`);
    }
    if (Date.now() > deadline) {
      watch.expectExit();
      signalChild(child, "SIGKILL");
      throw new Error(`${name} not ready after ${READY_TIMEOUT_MS} ms:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The worker processes of one test file. Call `stopAll` from the suite's `after` hook (Node 20
 * runs root-level hooks concurrently, so the database could be dropped under the workers):
 * it stops every worker still running and fails when one did not exit cleanly (0 after
 * SIGTERM), so a worker that cannot drain is a failing test, not a leaked process.
 */
export function workerPool(): {
  spawn(options: SpawnWorkerOptions): Promise<WorkerProcess>;
  all(): WorkerProcess[];
  stopAll(): Promise<void>;
} {
  const all: WorkerProcess[] = [];
  return {
    async spawn(options) {
      const worker = await spawnWorker(options);
      all.push(worker);
      return worker;
    },
    all: () => all,
    async stopAll() {
      const results = await Promise.all(all.map(async (w) => ({ w, result: await w.stop() })));
      const unclean = results.filter(({ w, result }) => result.code !== 0 && !w.killed);
      if (unclean.length > 0) {
        throw new Error(
          unclean.map(({ w, result }) =>
            `${w.name} (pid ${w.pid}) ended with ${result.code ?? result.signal}:\n${w.output()}`
          ).join("\n"),
        );
      }
    },
  };
}

/** A worker inside the test process (own activity deps: faults, gates), via runWorker. */
export interface InProcessWorker {
  stop(): Promise<void>;
}

export async function startInProcessWorker(
  options: Omit<import("../../src/temporal/worker.ts").RunWorkerOptions, "signal" | "onReady">,
): Promise<InProcessWorker> {
  const { runWorker } = await import("../../src/temporal/worker.ts");
  const controller = new AbortController();
  let ready!: () => void;
  const readyPromise = new Promise<void>((resolve) => (ready = resolve));
  const running = runWorker({ ...options, signal: controller.signal, onReady: () => ready() });
  await Promise.race([readyPromise, running]);
  return {
    async stop() {
      controller.abort();
      // An activity that ignores cancellation (a test gate never opened) must fail the file,
      // not hang it.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`in-process worker did not stop within ${STOP_TIMEOUT_MS} ms`)),
          STOP_TIMEOUT_MS,
        );
      });
      try {
        await Promise.race([running, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

const STOP_TIMEOUT_MS = 60_000;
