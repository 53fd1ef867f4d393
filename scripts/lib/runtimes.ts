/**
 * The two runtimes a `claims` process can run on, and the command line that starts the CLI on
 * each from either of them: a test, benchmark or chaos run under Node can start a Deno worker
 * and the other way round (the mixed fleet). Deno comes from the npm package `deno` (a
 * devDependency); its binary is resolved from that package, never downloaded.
 */
import { createRequire } from "node:module";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { checkBuild } from "./build-info.ts";

export type Runtime = "node" | "deno";

export const RUNTIMES: readonly Runtime[] = ["node", "deno"];

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The runtime this process runs on. */
export const currentRuntime: Runtime = "Deno" in globalThis ? "deno" : "node";

export function parseRuntime(value: string, source: string): Runtime {
  if (value === "node" || value === "deno") return value;
  throw new Error(`${source}: expected "node" or "deno", got ${JSON.stringify(value)}`);
}

/** The Node.js executable: this one under Node; NODE_BIN or `node` on PATH under Deno. */
export function nodeBinary(): string {
  if (currentRuntime === "node") return process.execPath;
  return process.env["NODE_BIN"] ?? "node";
}

let denoPath: string | undefined;

/**
 * The Deno executable: this one under Deno; under Node, the binary of the npm package `deno`
 * (DENO_BIN overrides). The package places it with its own installer (npm does not run its
 * install script here), which links the platform package's binary into place on first use.
 */
export function denoBinary(): string {
  if (currentRuntime === "deno") return process.execPath;
  if (process.env["DENO_BIN"]) return process.env["DENO_BIN"];
  if (!denoPath) {
    const require = createRequire(path.join(repoRoot, "package.json"));
    try {
      const installer = require("deno/install_api.cjs") as { runInstall(): string };
      denoPath = installer.runInstall();
    } catch (error) {
      throw new Error(
        `the deno binary was not found (${(error as Error).message}); run 'npm ci' first`,
        { cause: error },
      );
    }
  }
  return denoPath;
}

/**
 * Extra runtime flags for the processes started here, from CLAIMS_NODE_FLAGS / CLAIMS_DENO_FLAGS
 * (space-separated): how a benchmark's worker gets profiled (`CLAIMS_NODE_FLAGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof"`), since Node refuses --cpu-prof in NODE_OPTIONS.
 */
function extraFlags(runtime: Runtime): string[] {
  const value = process.env[runtime === "node" ? "CLAIMS_NODE_FLAGS" : "CLAIMS_DENO_FLAGS"];
  return value ? value.split(" ").filter(Boolean) : [];
}

/**
 * The command that runs a TypeScript entry point of this repository (a path relative to the
 * repository root, e.g. src/cli/main.ts) with `args` on `runtime`.
 */
export function scriptCommand(
  runtime: Runtime,
  script: string,
  args: readonly string[] = [],
): { command: string; args: string[] } {
  const flags = extraFlags(runtime);
  return runtime === "node"
    ? { command: nodeBinary(), args: [...flags, "--import", "tsx", script, ...args] }
    : { command: denoBinary(), args: ["run", "-A", ...flags, script, ...args] };
}

/** Which `claims` the Node processes started here run: the build in dist/ or the sources. */
export type CliBuild = "dist" | "src";

/**
 * CLAIMS_CLI=dist|src; unset: dist under CI (CI=true), the sources otherwise. `make test-node`
 * sets dist, so the subprocess suites test the JavaScript that the image and `npx claims` run.
 */
export function cliBuild(
  env: Readonly<Record<string, string | undefined>> = process.env,
): CliBuild {
  const value = env["CLAIMS_CLI"];
  if (value === undefined || value === "") {
    return ["true", "1"].includes(env["CI"] ?? "") ? "dist" : "src";
  }
  if (value === "dist" || value === "src") return value;
  throw new Error(`CLAIMS_CLI: expected "dist" or "src", got ${JSON.stringify(value)}`);
}

let distChecked = false;

/**
 * The command that runs the `claims` CLI with `args` on `runtime`, from any working directory:
 * `node dist/cli.js` under Node when cliBuild() is dist (refused, naming `make build`, when
 * dist/ was built from other sources than the ones here), else the TypeScript entry point
 * (always on Deno, which runs TypeScript as it is).
 */
export function claimsCommand(
  runtime: Runtime,
  args: readonly string[] = [],
): { command: string; args: string[] } {
  if (runtime === "node" && cliBuild() === "dist") {
    if (!distChecked) {
      checkBuild(repoRoot);
      distChecked = true;
    }
    return {
      command: nodeBinary(),
      args: [...extraFlags("node"), path.join(repoRoot, "dist", "cli.js"), ...args],
    };
  }
  return scriptCommand(runtime, path.join(repoRoot, "src", "cli", "main.ts"), args);
}
