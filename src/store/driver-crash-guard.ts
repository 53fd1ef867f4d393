/**
 * postgres.js 3.4.x (the newest release) can throw from a timer after a connection was closed
 * under it (pg_terminate_backend, a failover, a proxy reset): a write it had deferred with
 * setImmediate runs against a socket that is already null, and the TypeError is uncaught, so
 * it would take the whole worker down (porsager/postgres #1066, #1154, #1208; unmerged fixes
 * #1168, #1176, #1209 add exactly the missing null check). The chaos run killed workers this
 * way. Nothing is lost by ignoring that one error: the bytes were for a connection that is
 * gone, and its queries are failed by the driver's own close handling (our writes are retried
 * and fenced). Every other uncaught exception still ends the process, as Node would.
 */
import process from "node:process";
import type { Logger } from "../log.ts";

/** True only for the driver's deferred write on a closed socket. */
export function isPostgresDeferredWriteOnClosedSocket(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  if (!/^Cannot read properties of null \(reading 'write'\)$/.test(error.message)) return false;
  const stack = error.stack ?? "";
  return /\bnextWrite\b/.test(stack) &&
    /[\\/]postgres[\\/](?:cjs[\\/]|cf[\\/])?src[\\/]connection\.js/.test(stack);
}

let installed = false;
let currentLog: Logger | undefined;

/**
 * Installs the guard once per process (the CLI's entry point does, for every command); a later
 * call only changes where the ignored error is logged (the worker: its JSON log).
 */
export function installPostgresDriverCrashGuard(log: Logger): void {
  currentLog = log;
  if (installed) return;
  installed = true;
  process.on("uncaughtException", (error, origin) => {
    if (isPostgresDeferredWriteOnClosedSocket(error)) {
      currentLog?.warn("ignored postgres.js deferred write on a closed connection", {
        error: (error as Error).message,
      });
      return;
    }
    // What Node does without a handler: report and exit 1.
    process.stderr.write(`${origin}: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
}
