/**
 * Runs the CLI on one bad input: in-process through runCli with captured streams (thousands
 * of cases in seconds), or as a real process of this runtime (`node dist/cli.js` with
 * CLAIMS_CLI=dist or `node --import tsx` under Node, `deno run -A` under Deno) to prove exit
 * codes and streams end to end.
 */
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { CliIO } from "../../../src/cli/io.ts";
import { runCli } from "../../../src/cli/program.ts";
import { claimsCommand, cliBuild } from "../../../scripts/lib/runtimes.ts";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export async function runInProcess(
  argv: readonly string[],
  env: Record<string, string>,
  cwd: string,
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env,
    cwd,
  };
  const started = performance.now();
  const code = await runCli(argv, io);
  return { code, stdout, stderr, ms: performance.now() - started };
}

const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;

/**
 * The command line that runs the CLI on this runtime, from any working directory: under Node
 * the build in dist/ with CLAIMS_CLI=dist (as `make test-node` runs it), else src/cli/main.ts.
 */
function runtimeCommand(): { command: string; args: string[] } {
  if (!deno && cliBuild() === "dist") return claimsCommand("node");
  const main = path.join(repoRoot, "src/cli/main.ts");
  if (deno) {
    return {
      command: deno.execPath(),
      args: ["run", "-A", "--no-check", "--config", path.join(repoRoot, "deno.json"), main],
    };
  }
  // By URL: a bare `--import tsx` would be resolved from the case's directory, not the repo.
  const tsx = pathToFileURL(path.join(repoRoot, "node_modules/tsx/dist/loader.mjs")).href;
  return { command: process.execPath, args: ["--import", tsx, main] };
}

export function runProcess(
  argv: readonly string[],
  env: Record<string, string>,
  cwd: string,
  timeoutMs = 60_000,
): Promise<CliRun> {
  const { command, args } = runtimeCommand();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args, ...argv], {
      cwd,
      // Only what a runtime needs besides the case's variables: nothing leaks in from the
      // developer's shell (a DATABASE_URL of their own, say).
      env: {
        PATH: process.env["PATH"] ?? "",
        HOME: process.env["HOME"] ?? "",
        ...(process.env["DENO_DIR"] ? { DENO_DIR: process.env["DENO_DIR"] } : {}),
        NO_COLOR: "1",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    child.stdout.on("data", (d: Uint8Array) => out.push(d));
    child.stderr.on("data", (d: Uint8Array) => err.push(d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`claims ${argv.join(" ")} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString("utf8");
      resolve({
        code: code ?? -1,
        stdout: text(out),
        stderr: text(err),
        ms: performance.now() - started,
      });
    });
  });
}
