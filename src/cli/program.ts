/**
 * The `claims` command line: one commander program, one module per command. runCli never
 * calls process.exit; it returns the exit code, so the same code path serves a shell and the
 * in-process tests.
 */
import { Command, CommanderError } from "commander";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import { StartupError } from "../health/startup-errors.ts";
import { redact } from "../redact.ts";
import { type CliContext, createContext, type RegisterCommand } from "./context.ts";
import { CliError, type CliIO, ExitCode, type ExitCodeValue } from "./io.ts";
import { commands } from "./commands/index.ts";

const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    the operation failed or found a problem (e.g. verify found differences)
  2    invalid input: flags, files or environment variables (nothing was written)
  3    a service (PostgreSQL, Redis, Temporal) is unreachable
  130  interrupted (SIGINT/SIGTERM)`;

export function buildProgram(io: CliIO, register: readonly RegisterCommand[] = commands): {
  program: Command;
  ctx: CliContext;
  exitCode: () => ExitCodeValue;
} {
  let exitCode: ExitCodeValue = ExitCode.OK;
  const program = new Command("claims")
    .description("Parametric-insurance claims worker: calculate, store, schedule and verify claims")
    .option("--verbose", "show stack traces and debug details on errors")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXIT_CODES_HELP)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s),
    });
  const { ctx, loadConfigModule } = createContext(io, program, (code) => {
    exitCode = code;
  });
  program.hook("preAction", loadConfigModule);
  for (const add of register) add(program, ctx);
  for (const sub of program.commands) applyDefaults(sub, io);
  return { program, ctx, exitCode: () => exitCode };
}

function applyDefaults(command: Command, io: CliIO): void {
  command.exitOverride().showHelpAfterError("(run with --help for usage)").configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
  }).addHelpText("after", EXIT_CODES_HELP);
  for (const sub of command.commands) applyDefaults(sub, io);
}

/** Maps any error to a one-line message and an exit code; the stack only with --verbose. */
export function exitCodeFor(error: unknown): ExitCodeValue {
  if (error instanceof CliError) return error.exitCode;
  // The worker's start-up checks: one code per dependency (docs/operations.md).
  if (error instanceof StartupError) return error.exitCode as number as ExitCodeValue;
  if (error instanceof ClaimsError) {
    switch (error.code) {
      case ErrorCodes.CONFIG_INVALID:
      case ErrorCodes.INPUT_INVALID:
      case ErrorCodes.POLICY_NOT_FOUND:
      case ErrorCodes.OUT_OF_COVERAGE:
        return ExitCode.INVALID;
      case ErrorCodes.SERVICE_UNAVAILABLE:
        return ExitCode.UNAVAILABLE;
      default:
        return ExitCode.FAILED;
    }
  }
  return ExitCode.FAILED;
}

export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const { program, exitCode } = buildProgram(io);
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.INVALID;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode();
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were already printed.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.INVALID;
    }
    const verbose = argv.includes("--verbose");
    const message = redact(error instanceof Error ? error.message : String(error));
    io.stderr.write(`error: ${message}\n`);
    if (verbose && error instanceof Error && error.stack) {
      io.stderr.write(redact(error.stack) + "\n");
    }
    if (verbose && error instanceof Error && error.cause) {
      io.stderr.write(`cause: ${redact(String(error.cause))}\n`);
    }
    return exitCodeFor(error);
  }
}
