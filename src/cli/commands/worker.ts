/**
 * `claims worker`: a Temporal worker for the claims task queue, until SIGINT/SIGTERM; then it
 * stops polling, lets running activities finish (WORKER_SHUTDOWN_GRACE_MS), closes its
 * connections and exits 0. Logs are JSON lines on stdout; metrics on METRICS_PORT.
 * Runs on Node.js (`npm run claims -- worker`) and on Deno (`deno task worker`).
 */
import type { WorkerOptions } from "../actions/worker.ts";
import type { RegisterCommand } from "../context.ts";

export const registerWorker: RegisterCommand = (program, ctx) => {
  program.command("worker")
    .description(
      "run a Temporal worker (workflows + activities) until SIGINT/SIGTERM, then drain and exit 0",
    )
    .option("--no-migrate", "do not apply pending database migrations at start")
    .option(
      "--workflow-bundle <file>",
      "use this prebuilt workflow bundle (see --write-bundle) instead of bundling at start " +
        "(the built CLI, dist/cli.js, uses dist/workflows.js when present)",
    )
    .option(
      "--write-bundle <file>",
      "only bundle the workflows into FILE and exit (a build step: saves seconds per start)",
    )
    .addHelpText(
      "after",
      `
Configuration (environment): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE,
TEMPORAL_API_KEY / TEMPORAL_TLS_* (Temporal Cloud or mTLS), DATABASE_URL, REDIS_URL,
LOCK_BACKEND, LOCK_TTL_MS, WORKER_MAX_CONCURRENT_ACTIVITIES, WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
WORKER_SHUTDOWN_GRACE_MS, CLAIMS_CHUNK_SIZE, METRICS_PORT (0 = no metrics or health endpoint),
METRICS_HOST (default 0.0.0.0), METRICS_RUNS_INTERVAL_MS, LOG_LEVEL.

Endpoints on METRICS_HOST:METRICS_PORT: /metrics, /healthz (alive), /readyz (dependencies answer
and the worker polls: 200, else 503). See docs/operations.md.

Start-up failures (one line each, naming the fix):
  10  PostgreSQL unreachable (DATABASE_URL)     11  schema not migrated (run claims migrate)
  12  Redis unreachable (REDIS_URL)             13  Temporal unreachable (TEMPORAL_ADDRESS)
  14  namespace or search attributes missing   15  METRICS_PORT in use (or bad METRICS_HOST)

Examples:
  TEMPORAL_ADDRESS=127.0.0.1:7233 METRICS_PORT=9464 npm run claims -- worker
  TEMPORAL_ADDRESS=127.0.0.1:7233 METRICS_PORT=9464 deno task worker     (the same worker on Deno)
  TEMPORAL_ADDRESS=127.0.0.1:7233 METRICS_PORT=9464 node dist/cli.js worker   (the built CLI)`,
    )
    .action(async (options: WorkerOptions) => {
      const { run } = await import("../actions/worker.ts");
      await run(ctx, options);
    });
};
