/**
 * Runs the `claims` CLI for tests: in-process through runCli with captured output (fast), or
 * as a real subprocess (exit codes as a shell sees them) on the runtime running the tests.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { CliIO } from "../../../../src/cli/io.ts";
import { runCli } from "../../../../src/cli/program.ts";
import { claimsCommand, currentRuntime } from "../../../../scripts/lib/runtimes.ts";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A baseline environment: local services, no metrics port, the test's own database. */
export function cliEnv(databaseUrl: string, extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: databaseUrl,
    METRICS_PORT: "0",
    LOG_LEVEL: "warn",
    ...extra,
  };
}

export async function runClaims(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  cwd = repoRoot,
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env,
    cwd,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

export function runClaimsProcess(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
): Promise<CliRun> {
  // The same CLI on the runtime running the tests (under Node the build in dist/ with
  // CLAIMS_CLI=dist, as `make test-node` runs it).
  const { command, args } = claimsCommand(currentRuntime, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: repoRoot,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Uint8Array) => (stdout += String(d)));
    child.stderr.on("data", (d: Uint8Array) => (stderr += String(d)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`claims ${argv.join(" ")} did not finish in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
