/**
 * The `claims` command as an operator runs it (a subprocess), for the reruns, the late imports
 * and `verify`. Exit 3 means a service could not be reached (Temporal restarting, say): an
 * operator runs the same command again, and so does `claimsRetrying`.
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { repoRoot } from "../lib/temporal-dev-server.ts";
import { sleep } from "./timeline.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function claims(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", reject);
    child.once(
      "exit",
      (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }),
    );
  });
}

export const EXIT_UNAVAILABLE = 3;

/** Runs the command until it exits with something other than 3 (at most `attempts` times). */
export async function claimsRetrying(
  args: string[],
  env: Record<string, string>,
  options: { attempts?: number; pauseMs?: number; onRetry?: (r: CliResult) => void } = {},
): Promise<CliResult & { attempts: number }> {
  const attempts = options.attempts ?? 30;
  for (let attempt = 1;; attempt++) {
    const result = await claims(args, env);
    if (result.code !== EXIT_UNAVAILABLE || attempt >= attempts) {
      return { ...result, attempts: attempt };
    }
    options.onRetry?.(result);
    await sleep(options.pauseMs ?? 2_000);
  }
}

/** The last JSON document a command printed on stdout (`--json` output), or null. */
export function jsonOutput<T>(stdout: string): T | null {
  const start = stdout.indexOf("{");
  if (start < 0) return null;
  try {
    return JSON.parse(stdout.slice(start)) as T;
  } catch {
    return null;
  }
}
