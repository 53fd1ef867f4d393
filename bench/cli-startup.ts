/**
 * CLI start-up benchmark (issue 21): wall and CPU time of `claims --help`, `claims calc` on a
 * 10-event file and `claims report --help`, beside `node -e 0` in the same run, for
 *   built  node dist/cli.js …                       (make build; what the image runs)
 *   dev    node --import tsx src/cli/main.ts …      (tsx transpiles the sources at each start)
 *   deno   <deno binary> run -A src/cli/main.ts …   (the binary itself, not through npx)
 *   deno compile, when `deno compile` works here (offline it needs its runtime binary cached;
 *   the exact error is recorded otherwise).
 * Every case runs once to warm up (file cache, Deno's module cache), then `--rounds` times,
 * the cases interleaved round by round so that load from others on this shared machine hits
 * them alike; each figure is the median of the rounds, and so is each case's excess over the
 * bare runtime's start (`node -e 0` or `deno eval 0`) in the same round. Wall and CPU (user + system, of the
 * process and its threads) come from bash's `time` (getrusage, millisecond resolution); the
 * 1-minute load average is recorded beside every run.
 *
 * Targets (Node, built CLI, wall, median): --help ≤ 150 ms, calc ≤ 250 ms.
 *
 *   node --import tsx bench/cli-startup.ts [--rounds N] [--max-load L] [--out FILE]
 *
 * --max-load waits (up to 10 minutes in all) before each round until the 1-minute load
 * average is at most L. Writes bench/results/cli-startup.json (make bench-cli-startup, which
 * builds first). Not part of the tests.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { describeMachine } from "./lib/machine.ts";
import { median } from "./lib/median.ts";
import { checkBuild } from "../scripts/lib/build-info.ts";
import { denoBinary, nodeBinary } from "../scripts/lib/runtimes.ts";
import { repoRoot } from "../scripts/lib/temporal-dev-server.ts";

const { values: flags } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    "max-load": { type: "string" },
    out: { type: "string", default: path.join("bench", "results", "cli-startup.json") },
  },
});
const rounds = Number(flags.rounds);
if (!Number.isSafeInteger(rounds) || rounds < 1) {
  throw new Error(`--rounds must be a positive integer, got "${flags.rounds}"`);
}
const maxLoad = flags["max-load"] === undefined ? undefined : Number(flags["max-load"]);
if (maxLoad !== undefined && !(maxLoad > 0)) {
  throw new Error(`--max-load must be a positive number, got "${flags["max-load"]}"`);
}

const TARGETS = { builtHelpMs: 150, builtCalcMs: 250 };
const CALC_FILE = "bench/fixtures/calc-10-events.json";
const CALC_EVENTS = (JSON.parse(fs.readFileSync(path.join(repoRoot, CALC_FILE), "utf8")) as {
  events: unknown[];
}).events.length;

const build = checkBuild(repoRoot);
const node = nodeBinary();
const deno = denoBinary();

interface Case {
  name: string;
  variant: "baseline" | "built" | "dev" | "deno" | "deno-compile";
  command: string[];
}

const CLI_ARGS: [string, string[]][] = [
  ["--help", ["--help"]],
  ["calc", ["calc", "--input", CALC_FILE]],
  ["report --help", ["report", "--help"]],
];

function cliCases(variant: Case["variant"], prefix: string[]): Case[] {
  return CLI_ARGS.map(([name, args]) => ({
    name: `${variant}: claims ${name}`,
    variant,
    command: [...prefix, ...args],
  }));
}

/** `deno compile` into .cache/tmp: the binary, or the exact error why not. */
function tryDenoCompile(): { ok: true; binary: string } | { ok: false; error: string } {
  const binary = path.join(repoRoot, ".cache", "tmp", "claims-deno-compiled");
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  const result = spawnSync(
    deno,
    ["compile", "-A", "--no-check", "--output", binary, "src/cli/main.ts"],
    { cwd: repoRoot, encoding: "utf8", timeout: 300_000, env: { ...process.env, NO_COLOR: "1" } },
  );
  if (result.status === 0 && fs.existsSync(binary)) return { ok: true, binary };
  const output = `${result.stderr ?? ""}${result.stdout ?? ""}`.trim();
  return {
    ok: false,
    error: output || result.error?.message || `exit ${result.status ?? result.signal}`,
  };
}

console.log("cli-startup: deno compile …");
const compiled = tryDenoCompile();
console.log(
  compiled.ok
    ? `  deno compile: ${compiled.binary}`
    : `  deno compile failed: ${compiled.error.split("\n").slice(0, 3).join(" | ")}`,
);

const cases: Case[] = [
  { name: "node -e 0", variant: "baseline", command: [node, "-e", "0"] },
  ...cliCases("built", [node, "dist/cli.js"]),
  ...cliCases("dev", [node, "--import", "tsx", "src/cli/main.ts"]),
  { name: "deno eval 0", variant: "baseline", command: [deno, "eval", "0"] },
  ...cliCases("deno", [deno, "run", "-A", "src/cli/main.ts"]),
  ...(compiled.ok ? cliCases("deno-compile", [compiled.binary]) : []),
];

interface Run {
  wallMs: number;
  cpuMs: number;
  load1: number;
}

/** One run of `command` under bash's `time`: wall and CPU in ms; throws unless it exits 0. */
function timeOnce(command: string[]): Run {
  const load1 = os.loadavg()[0]!;
  const script = 'TIMEFORMAT="%3R %3U %3S"; { time "$@" >/dev/null 2>"$CLAIMS_BENCH_ERR"; } 2>&1';
  const errFile = path.join(os.tmpdir(), `cli-startup-${process.pid}.err`);
  const result = spawnSync("bash", ["-c", script, "bash", ...command], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", CLAIMS_BENCH_ERR: errFile },
  });
  const match = /(\d+\.\d+) (\d+\.\d+) (\d+\.\d+)\s*$/.exec(result.stdout ?? "");
  const stderr = fs.existsSync(errFile) ? fs.readFileSync(errFile, "utf8") : "";
  fs.rmSync(errFile, { force: true });
  if (result.status !== 0 || !match) {
    throw new Error(
      `${command.join(" ")} failed (exit ${result.status}): ${stderr || result.stdout}`,
    );
  }
  return {
    wallMs: Number(match[1]) * 1000,
    cpuMs: (Number(match[2]) + Number(match[3])) * 1000,
    load1,
  };
}

let waitBudgetMs = 10 * 60_000;
async function waitForQuiet(): Promise<void> {
  if (maxLoad === undefined) return;
  while (os.loadavg()[0]! > maxLoad && waitBudgetMs > 0) {
    console.log(`  load ${os.loadavg()[0]!.toFixed(2)} above ${maxLoad}: waiting`);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    waitBudgetMs -= 10_000;
  }
}

const loadAtStart = os.loadavg();
console.log(`cli-startup: warm-up of ${cases.length} cases`);
for (const c of cases) timeOnce(c.command);
const runs = new Map<string, Run[]>(cases.map((c) => [c.name, []]));
for (let round = 1; round <= rounds; round++) {
  await waitForQuiet();
  for (const c of cases) runs.get(c.name)!.push(timeOnce(c.command));
  console.log(`  round ${round}/${rounds} done (load ${os.loadavg()[0]!.toFixed(2)})`);
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;
const results = cases.map((c) => {
  const rs = runs.get(c.name)!;
  // What the command costs over starting the bare runtime, round by round (the same machine
  // state): steadier than the absolute figure when others load the machine.
  const baseline = c.variant === "baseline"
    ? c.name
    : c.variant === "deno" || c.variant === "deno-compile"
    ? "deno eval 0"
    : "node -e 0";
  const base = runs.get(baseline)!;
  return {
    name: c.name,
    variant: c.variant,
    command: c.command.map((part) =>
      part === node ? "node" : part === deno ? "deno" : path.relative(repoRoot, part) || part
    ).join(" "),
    wallMs: round1(median(rs.map((r) => r.wallMs))),
    cpuMs: round1(median(rs.map((r) => r.cpuMs))),
    baseline,
    wallAboveBaselineMs: round1(median(rs.map((r, i) => r.wallMs - base[i]!.wallMs))),
    cpuAboveBaselineMs: round1(median(rs.map((r, i) => r.cpuMs - base[i]!.cpuMs))),
    load1: round2(median(rs.map((r) => r.load1))),
    runs: rs.map((r) => ({ wallMs: r.wallMs, cpuMs: r.cpuMs, load1: round2(r.load1) })),
  };
});
const wallOf = (name: string) => results.find((r) => r.name === name)!.wallMs;
const targets = {
  builtHelp: {
    targetMs: TARGETS.builtHelpMs,
    wallMs: wallOf("built: claims --help"),
    met: wallOf("built: claims --help") <= TARGETS.builtHelpMs,
  },
  builtCalc: {
    targetMs: TARGETS.builtCalcMs,
    wallMs: wallOf("built: claims calc"),
    met: wallOf("built: claims calc") <= TARGETS.builtCalcMs,
  },
};

const report = {
  benchmark: "cli-startup",
  rounds,
  warmupRuns: 1,
  statistic: "median of the rounds; wall and CPU (user + system) from bash `time`",
  calcInput: { file: CALC_FILE, events: CALC_EVENTS },
  build: { sourceHash: build.sourceHash, esbuild: build.esbuild, builtAt: build.builtAt },
  denoCompile: compiled.ok ? { ok: true } : { ok: false, error: compiled.error },
  targets,
  loadAverage: {
    atStart: loadAtStart.map(round2),
    atEnd: os.loadavg().map(round2),
  },
  machine: describeMachine(),
  deno: spawnSync(deno, ["--version"], { encoding: "utf8" }).stdout.split("\n")[0],
  cases: results,
};
const out = path.resolve(repoRoot, flags.out!);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(report, null, 2) + "\n");

console.log(
  `\n${"case".padEnd(30)} ${"wall ms".padStart(8)} ${"cpu ms".padStart(8)} ${
    "wall +base".padStart(10)
  } ${"cpu +base".padStart(10)} ${"load".padStart(5)}`,
);
for (const r of results) {
  const cells = [r.wallMs, r.cpuMs].map((x) => x.toFixed(0).padStart(8));
  const above = [r.wallAboveBaselineMs, r.cpuAboveBaselineMs].map((x) => x.toFixed(0).padStart(10));
  console.log(
    `${r.name.padEnd(30)} ${cells.join(" ")} ${above.join(" ")} ${r.load1.toFixed(2).padStart(5)}`,
  );
}
for (const [name, t] of Object.entries(targets)) {
  console.log(`target ${name}: ${t.wallMs} ms ≤ ${t.targetMs} ms: ${t.met ? "met" : "MISSED"}`);
}
console.log(`written ${path.relative(repoRoot, out)}`);
