/**
 * Why a worker could not start, each with its own exit code, so that a supervisor (systemd,
 * Kubernetes' last state, a test) tells the cause from the code alone; the message names the
 * dependency, its address (user kept, password hidden), the cause and the fix on one line.
 * Documented in docs/operations.md and `claims worker --help`.
 */
import { ClaimsError, ErrorCodes } from "../errors.ts";

export const StartupExitCodes = {
  /** PostgreSQL (DATABASE_URL) did not answer. */
  POSTGRES_UNREACHABLE: 10,
  /** The database schema is behind this worker's migrations (or applying them failed). */
  SCHEMA_NOT_MIGRATED: 11,
  /** Redis (REDIS_URL) did not answer, with LOCK_BACKEND=redis. */
  REDIS_UNREACHABLE: 12,
  /** Temporal (TEMPORAL_ADDRESS) did not answer. */
  TEMPORAL_UNREACHABLE: 13,
  /** TEMPORAL_NAMESPACE does not exist, or lacks the ClaimDate/RunKind search attributes. */
  TEMPORAL_NAMESPACE: 14,
  /** METRICS_PORT is taken (or METRICS_HOST is no address of this host). */
  METRICS_PORT_UNAVAILABLE: 15,
} as const;

export type StartupExitCode = (typeof StartupExitCodes)[keyof typeof StartupExitCodes];

export class StartupError extends ClaimsError {
  readonly exitCode: StartupExitCode;

  constructor(exitCode: StartupExitCode, message: string, options?: { cause?: unknown }) {
    super(
      exitCode === StartupExitCodes.SCHEMA_NOT_MIGRATED ||
        exitCode === StartupExitCodes.TEMPORAL_NAMESPACE ||
        exitCode === StartupExitCodes.METRICS_PORT_UNAVAILABLE
        ? ErrorCodes.CONFIG_INVALID
        : ErrorCodes.SERVICE_UNAVAILABLE,
      message,
      options,
    );
    this.name = "StartupError";
    this.exitCode = exitCode;
  }
}

/** The first line of an error's message (drivers append details and stacks). */
export function causeOf(error: unknown): string {
  const text = error instanceof Error ? (error.message || error.name) : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const line = text.split("\n")[0]!.trim();
  return typeof code === "string" && !line.includes(code) ? `${code}: ${line}` : line;
}
