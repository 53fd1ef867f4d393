/**
 * Runs the node:test suites under Node (`node --test`) or under Deno (`deno test`), with one
 * Temporal server for the whole run (started here on free ports, its address passed in
 * TEST_TEMPORAL_ADDRESS, stopped at the end so nothing is left running): the CLI dev server,
 * or with `--temporal postgres` the self-hosted server on PostgreSQL (4 history shards, its
 * own two databases, dropped at the end; scripts/lib/temporal-cluster.ts). Under Deno the
 * workers the tests start, in-process or as processes, run on Deno too.
 * Usage: node --import tsx scripts/run-tests.ts [--runtime node|deno]
 *   [--temporal dev|postgres] [dir|file...]
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { checkBuild } from "./lib/build-info.ts";
import { cliBuild, denoBinary, nodeBinary, parseRuntime, type Runtime } from "./lib/runtimes.ts";
import { repoRoot } from "./lib/temporal-dev-server.ts";
import { describeTemporal, parseTemporalKind, startTemporal } from "./lib/temporal-server.ts";
import { WORKFLOW_BUNDLE_FILE } from "../src/app-layout.ts";
import { silentLogger } from "../src/log.ts";
import { writeWorkflowBundle } from "../src/temporal/worker.ts";

function findTests(target: string): string[] {
  const full = path.resolve(repoRoot, target);
  if (!fs.existsSync(full)) return [];
  if (fs.statSync(full).isFile()) return [full];
  return fs.readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
    const child = path.join(full, entry.name);
    if (entry.isDirectory()) {
      return entry.name === "fixtures" || entry.name === "support" ? [] : findTests(child);
    }
    return entry.name.endsWith(".test.ts") ? [child] : [];
  }).sort();
}

const { values: flags, positionals: targets } = parseArgs({
  options: {
    runtime: { type: "string", default: "node" },
    temporal: { type: "string", default: "dev" },
  },
  allowPositionals: true,
});
const runtime: Runtime = parseRuntime(flags.runtime!, "--runtime");
const temporalKind = parseTemporalKind(flags.temporal!, "--temporal");
const files = (targets.length ? targets : ["tests"]).flatMap(findTests);
if (files.length === 0) {
  console.error(`no test files under ${targets.join(" ") || "tests"}`);
  process.exit(1);
}

const started = Date.now();
// One workflow bundle for every worker the suites start from a prebuilt bundle
// (tests/support/workers.ts prebuiltWorkflowBundle): with the built CLI (CLAIMS_CLI=dist,
// the default under CI) the one `make build` wrote, which the image ships, so the recorded
// histories replay against it; else built here on Node. Workers started without one bundle by
// themselves on their own runtime, or, from dist/, take dist/workflows.js.
const cli = cliBuild();
let workflowBundle: string;
if (cli === "dist") {
  try {
    checkBuild(repoRoot);
  } catch (error) {
    console.error(`test run: ${(error as Error).message}`);
    process.exit(1);
  }
  workflowBundle = path.join(repoRoot, "dist", WORKFLOW_BUNDLE_FILE);
} else {
  workflowBundle = path.join(os.tmpdir(), `claims-test-workflows-${process.pid}.js`);
  await writeWorkflowBundle(workflowBundle, silentLogger);
  process.once("exit", () => fs.rmSync(workflowBundle, { force: true }));
}
const temporal = await startTemporal(temporalKind, {
  label: `tests${runtime}`,
  logFile: path.join(
    repoRoot,
    ".cache",
    "logs",
    temporalKind === "dev" ? "temporal-tests.log" : `temporal-cluster-tests-${runtime}.log`,
  ),
});
console.log(
  `test run (${runtime}): ${describeTemporal(temporal)}; ${files.length} files; ` +
    `claims processes on Node run ${
      cli === "dist" ? "dist/cli.js (the build)" : "src/cli/main.ts (tsx)"
    }`,
);

const concurrency = process.env["TEST_CONCURRENCY"] ?? "2";
const [command, args]: [string, string[]] = runtime === "node"
  ? [nodeBinary(), [
    "--import",
    "tsx",
    "--test",
    // A file whose tests have all finished exits even if a leaked handle (a worker that did
    // not stop) would keep it alive: the failure is reported, the run does not hang.
    "--test-force-exit",
    `--test-concurrency=${concurrency}`,
    "--test-reporter=spec",
    ...files,
  ]]
  // One file after the other: Deno runs a file's tests in one isolate, and every worker
  // started in-process shares this process's single Temporal runtime.
  : [denoBinary(), ["test", "-A", "--no-check", "--permit-no-files", ...files]];
const child = spawn(
  command,
  args,
  {
    stdio: "inherit",
    cwd: repoRoot,
    env: {
      ...process.env,
      TEST_TEMPORAL_ADDRESS: temporal.address,
      TEST_TEMPORAL_KIND: temporal.kind,
      TEST_WORKFLOW_BUNDLE: workflowBundle,
    },
  },
);
const forward = (signal: NodeJS.Signals) => child.kill(signal);
process.on("SIGINT", forward);
process.on("SIGTERM", forward);
const code: number = await new Promise((resolve) =>
  child.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0)))
);
await temporal.stop();
console.log(
  `test run: ${runtime} suites (temporal ${temporal.kind}) finished in ${
    ((Date.now() - started) / 1000).toFixed(1)
  } s (exit ${code})`,
);
process.exit(code);
