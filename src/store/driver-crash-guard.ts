/**
 * postgres.js 3.4.x (the newest release) can throw from a timer after a connection was closed
 * under it (pg_terminate_backend, a failover, a proxy reset): a write it had deferred with
 * setImmediate runs against a socket that is already null, and the TypeError is uncaught, so
 * it would take the whole worker down (porsager/postgres #1066, #1154, #1208; unmerged fixes
 * #1168, #1176, #1209 add exactly the missing null check). The chaos run killed workers this
 * way. Nothing is lost by ignoring that one error: the bytes were for a connection that is
 * gone, and its queries are failed by the driver's own close handling (our writes are retried
 * and fenced). Every other uncaught exception still ends the process, as Node would.
 *
 * The same driver leaves one promise unhandled when a connection closes inside a transaction:
 * `sql.begin` races the transaction's body against the connection's close, rejects with the
 * close, and the body's own rejection (the terminated query, 57P01) then has no handler. The
 * failure is already reported through `begin`'s rejection; only that rejection (a PostgresError
 * with a lost-connection SQLSTATE, or the driver's connection error) is ignored.
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

/** SQLSTATEs of a server-side end of the session (class 08, 57P01-57P03). */
const LOST_SESSION = /^(08...|57P0[123])$/;
const DRIVER_CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/** True only for a lost-connection error of the driver, left unhandled by `sql.begin`. */
export function isPostgresLostConnectionRejection(reason: unknown): boolean {
  if (!(reason instanceof Error)) return false;
  const code = (reason as { code?: unknown }).code;
  if (typeof code !== "string") return false;
  if (reason.name === "PostgresError") return LOST_SESSION.test(code);
  return DRIVER_CONNECTION_CODES.has(code) && /^write CONNECTION_/.test(reason.message);
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
  // A listener of its own (Node and Deno both call it): any other unhandled rejection ends the
  // process as Node's default would, with its stack and exit code 1.
  process.on("unhandledRejection", (reason) => {
    if (isPostgresLostConnectionRejection(reason)) {
      currentLog?.warn("ignored a lost PostgreSQL connection's unhandled rejection", {
        error: (reason as Error).message,
      });
      return;
    }
    process.stderr.write(`unhandledRejection: ${(reason as Error)?.stack ?? String(reason)}\n`);
    process.exit(1);
  });
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
