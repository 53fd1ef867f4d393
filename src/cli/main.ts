#!/usr/bin/env -S node --import tsx
/**
 * Entry point: `npm run claims -- <command>` (Node through tsx), `node dist/cli.js <command>`
 * (the build, `make build`: see docs/build.md) or `deno run -A src/cli/main.ts <command>`.
 * SIGINT/SIGTERM abort the running command through its signal (the worker drains, a rerun
 * detaches), and the process exits with the command's exit code.
 */
import process from "node:process";
import { createLogger } from "../log.ts";
import { installPostgresDriverCrashGuard } from "../store/driver-crash-guard.ts";
import { runCli } from "./program.ts";
import { ExitCode, processIO } from "./io.ts";

// Every command that opens a database needs it: a connection killed under postgres.js
// (pg_terminate_backend, a failover) can throw from a timer, and that uncaught TypeError would
// end the command with exit 1 instead of the "lost the connection to PostgreSQL" (exit 3) its
// failed queries report. Shown with --verbose only; the worker logs it as a warning.
installPostgresDriverCrashGuard(createLogger({
  level: process.argv.includes("--verbose") ? "debug" : "error",
  write: (line) => process.stderr.write(line + "\n"),
}));

const controller = new AbortController();
let interrupted = false;
const onSignal = () => {
  if (interrupted) process.exit(ExitCode.INTERRUPTED); // second signal: stop now
  interrupted = true;
  controller.abort();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
// `claims report | head`: the reader went away; that ends the output, it is not a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const code = await runCli(process.argv.slice(2), processIO(controller.signal));
process.exitCode = code;
// Connections are closed by each command; this only guards against a leaked handle keeping
// the process alive after its work is done.
setTimeout(() => process.exit(code), 2_000).unref();
