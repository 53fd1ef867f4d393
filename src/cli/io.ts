/**
 * What a command may touch of the outside world, passed in so that commands run in-process in
 * tests (thousands of bad inputs without a process each) exactly as they run from a shell.
 */
import process from "node:process";

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

export interface CliIO {
  stdout: Output;
  stderr: Output;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Resolves when the user asks the process to stop (SIGINT/SIGTERM); never in tests unless fired. */
  signal?: AbortSignal | undefined;
}

/** Documented exit codes of every command. */
export const ExitCode = {
  OK: 0,
  /** The operation ran and found or caused a failure (verify found differences, a rerun failed). */
  FAILED: 1,
  /** Invalid input: bad flags, bad file, bad configuration. Nothing was written. */
  INVALID: 2,
  /** A service (PostgreSQL, Redis, Temporal) could not be reached. */
  UNAVAILABLE: 3,
  /** Interrupted by SIGINT/SIGTERM before finishing. */
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export function processIO(signal?: AbortSignal): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal,
  };
}

/** An error a command raises to end with a message and an exit code (no stack trace shown). */
export class CliError extends Error {
  readonly exitCode: ExitCodeValue;

  constructor(
    message: string,
    exitCode: ExitCodeValue = ExitCode.INVALID,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.exitCode = exitCode;
    this.name = "CliError";
  }
}

export function writeJson(out: Output, value: unknown): void {
  out.write(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n");
}
