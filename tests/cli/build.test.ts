/**
 * The build in dist/ cannot drift from src/: the harness refuses a dist/ built from other
 * sources (naming `make build`), the build the suites run (CLAIMS_CLI=dist) is the one of these
 * sources and prints what the sources print, and its worker takes the workflow bundle the build
 * prebuilt when none is named.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { after, test } from "../support/test.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { useTemporal } from "../support/temporal.ts";
import { workerPool } from "../support/workers.ts";
import { BUILD_INFO_FILE, WORKFLOW_BUNDLE_FILE } from "../../src/app-layout.ts";
import { runCli } from "../../src/cli/program.ts";
import { BUILD_INPUTS, checkBuild, sourceHash } from "../../scripts/lib/build-info.ts";
import { claimsCommand, cliBuild } from "../../scripts/lib/runtimes.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "claims-build-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const built = cliBuild() === "dist";

test("a dist/ built from other sources than the ones beside it is refused, naming make build", () => {
  // A project of its own: one source file, a build of it, then an edit.
  const root = path.join(tmp, "project");
  fs.mkdirSync(path.join(root, "src"), { recursive: true });
  fs.writeFileSync(path.join(root, "src", "a.ts"), "export const a = 1;\n");
  fs.writeFileSync(path.join(root, "package.json"), "{}\n");
  const dist = path.join(root, "dist");
  assert.throws(() => checkBuild(root), /dist\/ holds no build .*run `make build`/);

  fs.mkdirSync(dist);
  fs.writeFileSync(path.join(dist, "cli.js"), "");
  const info = { ...sourceHash(root), esbuild: "x", node: "x", builtAt: "2025-01-01T00:00:00Z" };
  fs.writeFileSync(path.join(dist, BUILD_INFO_FILE), JSON.stringify(info));
  assert.equal(checkBuild(root).sourceHash, info.sourceHash);

  fs.writeFileSync(path.join(root, "src", "a.ts"), "export const a = 2;\n");
  assert.throws(() => checkBuild(root), /dist\/ is stale: .*run `make build`/);
  fs.writeFileSync(path.join(root, "src", "a.ts"), "export const a = 1;\n");
  fs.writeFileSync(path.join(root, "src", "b.ts"), "");
  assert.throws(() => checkBuild(root), /dist\/ is stale/, "a new file counts too");
  assert.ok(BUILD_INPUTS.includes("src") && BUILD_INPUTS.includes("workflows"));
});

/** `node dist/cli.js …` (or the sources, without CLAIMS_CLI=dist) as a process. */
function claims(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { command, args: argv } = claimsCommand("node", args);
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      cwd: repoRoot,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function inProcess(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd: repoRoot,
  });
  return { code, stdout, stderr };
}

test(
  "the CLI the suites run prints what the sources print, help and exit codes included",
  { timeout: 120_000 },
  async () => {
    if (built) checkBuild(repoRoot);
    for (
      const args of [
        [],
        ["--help"],
        ["worker", "--help"],
        ["schedule", "backfill", "--help"],
        ["calc", "--input", "examples/policy-with-events.json"],
        ["calc", "--input", "no-such-file.json"],
        ["report", "--from", "2025-01-02", "--to", "2025-01-01"],
        ["rerun", "--all", "--from", "2025-01-01", "--to", "2035-01-02"],
        ["no-such-command"],
      ]
    ) {
      const [spawned, expected] = await Promise.all([claims(args), inProcess(args)]);
      assert.deepEqual(spawned, expected, `claims ${args.join(" ")}`);
    }
  },
);

const database = useTestDatabase("build_worker");
const redis = useTestRedis();
const temporal = useTemporal();

test(
  "the built worker loads dist/workflows.js when no --workflow-bundle is named",
  { timeout: 180_000 },
  async () => {
    if (!built) {
      // Nothing to prove from the sources: they bundle the workflows at start.
      assert.equal(cliBuild(), "src");
      return;
    }
    const pool = workerPool();
    try {
      const worker = await pool.spawn({
        name: "built-worker",
        runtime: "node",
        env: {
          DATABASE_URL: database.url,
          REDIS_URL: redis.url,
          TEMPORAL_ADDRESS: temporal.address,
          TEMPORAL_TASK_QUEUE: `build-test-${process.pid}-${Date.now()}`,
        },
      });
      const used = worker.logs().find((l) => l["msg"] === "using the prebuilt workflow bundle");
      assert.equal(used?.["file"], path.join(repoRoot, "dist", WORKFLOW_BUNDLE_FILE));
    } finally {
      await pool.stopAll();
    }
  },
);
