/**
 * Start-up stays light: `claims --help`, `claims report --help` and `claims report` load no
 * Temporal SDK, and `claims calc` loads no Temporal SDK and no database or Redis driver. Each
 * command runs as a real Node process with a loader hook that records every module it loads
 * (tests/support/module-log), from the TypeScript sources and, with CLAIMS_CLI=dist, from the
 * build (whose chunks must keep the commands' actions lazy).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { after, test } from "../support/test.ts";
import { claimsCommand, cliBuild, nodeBinary } from "../../scripts/lib/runtimes.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const recorder = pathToFileURL(path.join(repoRoot, "tests/support/module-log/register.mjs")).href;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "claims-lazy-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TEMPORAL = /^@temporalio\//;
const DRIVERS = /^(postgres|ioredis|drizzle-orm)$/;

/** The packages (by name) among the recorded modules. */
function packagesIn(log: string): Set<string> {
  const names = new Set<string>();
  for (const line of log.split("\n")) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line);
    if (match) names.add(match[1]!);
  }
  return names;
}

let runs = 0;

/** Runs `node --import <recorder> <prefix…> <args…>`; its exit code and loaded packages. */
async function recorded(
  prefix: string[],
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string; log: string; packages: Set<string> }> {
  const logFile = path.join(tmp, `modules-${++runs}.log`);
  const child = spawn(nodeBinary(), ["--import", recorder, ...prefix, ...args], {
    cwd: repoRoot,
    env: {
      PATH: process.env["PATH"] ?? "",
      HOME: process.env["HOME"] ?? "",
      ...env,
      CLAIMS_MODULE_LOG: logFile,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "";
  return { code, stderr, log, packages: packagesIn(log) };
}

const variants: [string, string[]][] = [
  ["sources (tsx)", ["--import", "tsx", "src/cli/main.ts"]],
  ...(cliBuild() === "dist"
    ? [["build (dist/cli.js)", claimsCommand("node").args] as [string, string[]]]
    : []),
];

test("the module recorder sees a package the process loads (the check below can fail)", async () => {
  const run = await recorded(
    ["--input-type=module", "-e", 'await import("@temporalio/common")'],
    [],
  );
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.packages.has("@temporalio/common"), [...run.packages].join(", "));
});

for (const [variant, prefix] of variants) {
  const forbidden = (packages: Set<string>, pattern: RegExp) =>
    [...packages].filter((name) => pattern.test(name));

  test(`${variant}: claims --help and report --help load neither Temporal nor a driver`, async () => {
    for (const args of [["--help"], ["report", "--help"], ["schedule", "--help"]]) {
      const run = await recorded(prefix, args);
      assert.equal(run.code, 0, `claims ${args.join(" ")}: ${run.stderr}`);
      assert.match(
        run.log,
        /\/(src\/cli\/main\.ts|dist\/cli\.js)\n/,
        "the entry point is recorded",
      );
      assert.deepEqual(forbidden(run.packages, TEMPORAL), [], `claims ${args.join(" ")}`);
      assert.deepEqual(forbidden(run.packages, DRIVERS), [], `claims ${args.join(" ")}`);
    }
  });

  test(`${variant}: claims calc loads neither Temporal nor a database or Redis driver`, async () => {
    const run = await recorded(prefix, ["calc", "--input", "examples/policy-with-events.json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.log, /calc/, "the calc action is recorded");
    assert.deepEqual(forbidden(run.packages, TEMPORAL), []);
    assert.deepEqual(forbidden(run.packages, DRIVERS), []);
    if (prefix[0] !== "--import") {
      assert.ok(!run.packages.has("tsx"), "the build runs on plain Node, without tsx");
    }
  });

  test(`${variant}: claims report loads PostgreSQL's driver but not Temporal`, async () => {
    // An unreachable database: the report path runs up to its connection and exits 3.
    const run = await recorded(prefix, ["report", "--from", "2025-01-01", "--to", "2025-01-02"], {
      DATABASE_URL: "postgres://claims@127.0.0.1:1/claims",
    });
    assert.equal(run.code, 3, run.stderr);
    assert.ok(run.packages.has("postgres"), "the recorder saw the driver the report loads");
    assert.deepEqual(forbidden(run.packages, TEMPORAL), []);
  });
}
