/**
 * The image without a Docker engine: the Dockerfile's build stage replayed step by step in a
 * temporary directory (its COPY instructions from this checkout, its build command run as
 * written), then the runtime stage laid out from the result, and the image's entry point run
 * there: `--help`, `calc`, `migrate` against a new database, and every command compose.yaml
 * gives the image (with `--help` appended: they start services). `npm ci` is the one step not
 * run as written: the dependencies come from this checkout's node_modules (no registry here).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { after, test } from "../support/test.ts";
import { databaseUrlFor, dropTestDatabase } from "../support/database.ts";
import { readBuildInfo, sourceHash } from "../../scripts/lib/build-info.ts";
import { denoBinary, nodeBinary } from "../../scripts/lib/runtimes.ts";
import { runCli } from "../../src/cli/program.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "claims-image-"));
const databases: string[] = [];
after(async () => {
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const name of databases) await dropTestDatabase(name);
});

interface Instruction {
  op: string;
  args: string;
}

interface Stage {
  name: string | undefined;
  instructions: Instruction[];
}

/** The Dockerfile's stages and instructions (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op = "", args = ""] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === "FROM") {
      stages.push({ name: /\sAS\s+(\S+)$/i.exec(args)?.[1], instructions: [] });
    } else {
      assert.ok(stages.length > 0, `${line}: an instruction before FROM`);
      stages.at(-1)!.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

/** `COPY [--from=stage] src... dest` → where each source goes, relative to the workdir. */
function copyArgs(args: string): { from: string | undefined; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const from = words[0]?.startsWith("--from=") ? words.shift()!.slice("--from=".length) : undefined;
  const dest = words.pop()!;
  return { from, sources: words, dest };
}

function copy(fromDir: string, source: string, toDir: string, dest: string, many: boolean): void {
  const src = path.join(fromDir, source);
  assert.ok(fs.existsSync(src), `COPY ${source}: not found in ${fromDir}`);
  const into = dest.endsWith("/") || many || dest === "."
    ? path.join(dest, path.basename(source))
    : dest;
  const target = path.join(toDir, into);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.cpSync(src, target, { recursive: true });
}

function run(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NO_COLOR: "1", ...env },
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

/**
 * Replays one stage into `dir`: COPY from the checkout (or from an earlier stage's directory),
 * `npm ci` as a link to this checkout's node_modules, and, where `runSteps`, the other RUN
 * steps as written. Returns the stage's ENTRYPOINT and CMD.
 */
async function replay(
  stage: Stage,
  dir: string,
  stageDirs: Map<string, string>,
  runSteps: boolean,
): Promise<{ entrypoint?: string[]; cmd?: string[]; ran: string[]; skipped: string[] }> {
  const ran: string[] = [];
  const skipped: string[] = [];
  let entrypoint: string[] | undefined;
  let cmd: string[] | undefined;
  let workdir = dir;
  fs.mkdirSync(dir, { recursive: true });
  for (const { op, args } of stage.instructions) {
    if (op === "WORKDIR") {
      workdir = dir; // the stage's directory stands for its WORKDIR (each stage has one)
    } else if (op === "COPY") {
      const { from, sources, dest } = copyArgs(args);
      const fromDir = from === undefined ? repoRoot : stageDirs.get(from);
      if (fromDir === undefined) {
        skipped.push(`COPY ${args}`); // from a stage not replayed (the deno binary)
        continue;
      }
      const base = from === undefined ? "" : "/build";
      for (const source of sources) {
        const relative = from === undefined ? source : path.relative(base, source);
        copy(fromDir, relative, workdir, dest, sources.length > 1);
      }
    } else if (op === "RUN" && /^npm ci\b/.test(args)) {
      fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(workdir, "node_modules"));
      ran.push(`${args.split("&&")[0]!.trim()} (as a link to node_modules)`);
    } else if (op === "RUN" && runSteps) {
      const result = await run("bash", ["-c", args], workdir);
      assert.equal(result.code, 0, `RUN ${args}:\n${result.stdout}${result.stderr}`);
      ran.push(args);
    } else if (op === "RUN") {
      skipped.push(`RUN ${args}`);
    } else if (op === "ENTRYPOINT") {
      entrypoint = JSON.parse(args) as string[];
    } else if (op === "CMD") {
      cmd = JSON.parse(args) as string[];
    }
  }
  return { entrypoint, cmd, ran, skipped };
}

/** compose.yaml's services on the claims image: their entrypoint and command, when given. */
function composeServices(text: string): Map<string, { entrypoint?: string[]; command?: string[] }> {
  const services = new Map<string, { image?: string; entrypoint?: string; command?: string }>();
  let inServices = false;
  let current: string | undefined;
  for (const line of text.split("\n")) {
    if (/^\S/.test(line)) inServices = line.startsWith("services:");
    if (!inServices) continue;
    const service = /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line);
    if (service) {
      current = service[1]!;
      services.set(current, {});
      continue;
    }
    const field = /^ {4}(image|build|entrypoint|command):\s*(.*)$/.exec(line);
    if (!field || !current) continue;
    const entry = services.get(current)!;
    if (field[1] === "image") entry.image = field[2]!.trim();
    if (field[1] === "build") entry.image ??= "(built)";
    if (field[1] === "entrypoint" || field[1] === "command") entry[field[1]] = field[2]!.trim();
  }
  const list = (service: string, key: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    assert.match(value, /^\[.*\]$/, `${service}.${key}: a one-line JSON-style list`);
    return JSON.parse(value) as string[];
  };
  const claimsImage = new Map<string, { entrypoint?: string[]; command?: string[] }>();
  for (const [name, entry] of services) {
    if (entry.image !== "parametric-claims:local") continue;
    claimsImage.set(name, {
      entrypoint: list(name, "entrypoint", entry.entrypoint),
      command: list(name, "command", entry.command),
    });
  }
  return claimsImage;
}

test(
  "the Dockerfile's build stage runs `npm run build`; its runtime stage runs node dist/cli.js",
  { timeout: 300_000 },
  async () => {
    const dockerfile = fs.readFileSync(path.join(repoRoot, "Dockerfile"), "utf8");
    const stages = parseDockerfile(dockerfile);
    const build = stages.find((s) => s.name === "build");
    assert.ok(build, "a stage named build");
    const runtime = stages.at(-1)!;
    assert.ok(
      build.instructions.some((i) => i.op === "RUN" && i.args === "npm run build"),
      "the build stage runs `npm run build`, the command `make build` runs",
    );
    const makefile = fs.readFileSync(path.join(repoRoot, "Makefile"), "utf8");
    assert.match(makefile, /^build:.*\n\tnpm run --silent build$/m, "make build = npm run build");
    assert.ok(
      !runtime.instructions.some((i) => /\btsx\b/.test(i.args)),
      "the runtime stage never runs tsx",
    );

    // The build stage, replayed: only what it copies, then its own commands.
    const buildDir = path.join(tmp, "build");
    const stageDirs = new Map<string, string>();
    const built = await replay(build, buildDir, stageDirs, true);
    assert.ok(built.ran.includes("npm run build"), built.ran.join("; "));
    stageDirs.set("build", buildDir);
    const info = readBuildInfo(path.join(buildDir, "dist"));
    assert.ok(info, "the build stage wrote dist/build-info.json");
    assert.equal(
      info.sourceHash,
      sourceHash(repoRoot).sourceHash,
      "the image builds dist/ from exactly the sources `make build` builds from here",
    );

    // The runtime stage, laid out from the build stage's dist/ and the checkout.
    const appDir = path.join(tmp, "app");
    const image = await replay(runtime, appDir, stageDirs, false);
    assert.deepEqual(image.entrypoint, ["node", "dist/cli.js"]);
    assert.deepEqual(image.cmd, ["worker"]);
    for (const file of ["dist/cli.js", "dist/workflows.js", "drizzle/meta/_journal.json"]) {
      assert.ok(fs.existsSync(path.join(appDir, file)), `${file} in the image`);
    }
    const [command, ...prefix] = image.entrypoint!;
    assert.equal(command, "node");
    const cli = (args: string[], env: Record<string, string> = {}) =>
      run(nodeBinary(), [...prefix, ...args], appDir, env);

    const help = await cli(["--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: claims /);

    const input = path.join(repoRoot, "examples/policy-with-events.json");
    const calc = await cli(["calc", "--input", input]);
    assert.equal(calc.code, 0, calc.stderr);
    let expected = "";
    const code = await runCli(["calc", "--input", input], {
      stdout: { write: (s: string) => (expected += s) },
      stderr: { write: () => true },
      env: {},
      cwd: repoRoot,
    });
    assert.equal(code, 0);
    assert.equal(calc.stdout, expected, "the image's calc prints what the sources print");

    // Migrations are read from the image's drizzle/, beside dist/.
    const name = `claims_test_image_${crypto.randomBytes(4).toString("hex")}`;
    databases.push(name);
    const migrate = await cli(["migrate", "--json"], { DATABASE_URL: databaseUrlFor(name) });
    assert.equal(migrate.code, 0, migrate.stderr);
    const result = JSON.parse(migrate.stdout) as { databaseCreated: boolean; applied: number };
    assert.equal(result.databaseCreated, true);
    assert.ok(result.applied > 0, migrate.stdout);
  },
);

test(
  "every command compose.yaml gives the image starts from the image's files",
  { timeout: 300_000 },
  async () => {
    const appDir = path.join(tmp, "app");
    assert.ok(fs.existsSync(path.join(appDir, "dist/cli.js")), "the image test above laid it out");
    const stages = parseDockerfile(fs.readFileSync(path.join(repoRoot, "Dockerfile"), "utf8"));
    const runtime = stages.at(-1)!;
    const entrypoint = JSON.parse(
      runtime.instructions.findLast((i) => i.op === "ENTRYPOINT")!.args,
    ) as string[];
    const cmd = JSON.parse(runtime.instructions.findLast((i) => i.op === "CMD")!.args) as string[];
    const services = composeServices(fs.readFileSync(path.join(repoRoot, "compose.yaml"), "utf8"));
    assert.ok(services.has("worker") && services.has("migrate"), [...services.keys()].join(", "));
    assert.ok(!/\btsx\b/.test(fs.readFileSync(path.join(repoRoot, "compose.yaml"), "utf8")));
    for (const [service, given] of services) {
      const argv = [...(given.entrypoint ?? entrypoint), ...(given.command ?? cmd)];
      for (const arg of argv.filter((a) => /\.(js|ts)$/.test(a))) {
        assert.ok(fs.existsSync(path.join(appDir, arg)), `${service}: ${arg} is not in the image`);
      }
      const [program, ...args] = argv;
      const binary = program === "node" ? nodeBinary() : program === "deno" ? denoBinary() : "";
      assert.ok(binary, `${service}: runs ${program}, not node or deno`);
      // Every command starts services; --help shows that its flags parse and its code loads.
      const result = await run(binary, [...args, "--help"], appDir);
      assert.equal(result.code, 0, `${service}: ${argv.join(" ")} --help\n${result.stderr}`);
      assert.match(result.stdout, /^Usage: claims/, service);
    }
  },
);
