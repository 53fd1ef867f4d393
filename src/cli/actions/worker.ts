/** The body of `claims worker` (src/cli/commands/worker.ts). */
import path from "node:path";
import { builtWorkflowBundle } from "../../app-layout.ts";
import { createLogger } from "../../log.ts";
import { urlPassword } from "../../redact.ts";
import { installPostgresDriverCrashGuard } from "../../store/driver-crash-guard.ts";
import type { CliContext } from "../context.ts";
import { ExitCode } from "../io.ts";

export interface WorkerOptions {
  migrate: boolean;
  workflowBundle?: string;
  writeBundle?: string;
}

export async function run(ctx: CliContext, options: WorkerOptions): Promise<void> {
  const config = ctx.config();
  const log = createLogger({
    level: config.logLevel,
    write: (line) => ctx.io.stdout.write(line + "\n"),
    secrets: [
      config.temporal.apiKey,
      urlPassword(config.databaseUrl),
      urlPassword(config.redisUrl),
    ],
  }).child({ component: "worker" });
  installPostgresDriverCrashGuard(log);
  const { runWorker, writeWorkflowBundle } = await import("../../temporal/worker.ts");
  if (options.writeBundle) {
    const file = path.resolve(ctx.io.cwd, options.writeBundle);
    const { bytes } = await writeWorkflowBundle(file, log);
    log.info("workflow bundle written", { file, bytes });
    return;
  }
  // The built CLI (dist/cli.js) brings its bundle, prebuilt by `make build`, beside it.
  const bundled = options.workflowBundle ? undefined : builtWorkflowBundle();
  if (bundled) log.info("using the prebuilt workflow bundle", { file: bundled });
  await runWorker({
    config,
    log,
    signal: ctx.io.signal,
    migrate: options.migrate,
    workflowBundlePath: options.workflowBundle
      ? path.resolve(ctx.io.cwd, options.workflowBundle)
      : bundled,
  });
  ctx.setExitCode(ExitCode.OK);
}
