/**
 * `claims calc --input FILE` (SPEC §7): every bad-input rule of SPEC §2 in-process through
 * runCli (one process for hundreds of cases), the exit-code/stdout/stderr contract through
 * real subprocesses of this runtime, and byte-identical stdout from Node and Deno.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { after, test } from "../support/test.ts";
import { claimsCommand } from "../../scripts/lib/runtimes.ts";
import { runCli } from "../../src/cli/program.ts";
import type { CliIO } from "../../src/cli/io.ts";
import {
  BAD_INPUT_RULES,
  batches,
  breakOne,
  type BrokenInput,
  type Json,
  validEvent,
  validInput,
  validPolicy,
} from "./fixtures/calc/bad-input-rules.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
const runtime = deno ? "deno" : "node";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "claims-calc-test-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let files = 0;

function writeInput(content: unknown, name = `input-${++files}.json`): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function inProcess(args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd: tmp,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

function denoBinary(): string {
  if (deno) return deno.execPath();
  const installed = path.join(repoRoot, "node_modules", "deno", "deno");
  assert.ok(fs.existsSync(installed), `the deno npm package's binary is missing: ${installed}`);
  return installed;
}

/**
 * The CLI as a user runs it: `node dist/cli.js` (CLAIMS_CLI=dist) or `node --import tsx
 * src/cli/main.ts`, or `deno run -A …`.
 */
function subprocess(args: string[], on: "node" | "deno" = runtime): Promise<Run> {
  const { command, args: argv } = on === "node"
    ? claimsCommand("node", args)
    : { command: denoBinary(), args: ["run", "-A", "src/cli/main.ts", ...args] };
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    child.stdout.on("data", (chunk: Uint8Array) => out.push(chunk));
    child.stderr.on("data", (chunk: Uint8Array) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }));
  });
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

/** Exit 2, nothing on stdout, and exactly one stderr line per expected problem. */
function assertRejected(run: Run, broken: BrokenInput, label: string): void {
  assert.equal(run.code, 2, `${label}: exit code; stderr: ${run.stderr}`);
  assert.equal(run.stdout, "", `${label}: stdout must stay empty`);
  const got = lines(run.stderr);
  assert.equal(
    got.length,
    broken.expected.size,
    `${label}: one line per bad field:\n${run.stderr}`,
  );
  for (const [at, rule] of broken.expected) {
    const line = got.find((l) => l.startsWith(`${at}: `));
    assert.ok(line, `${label}: no line for ${at} (${rule.rule}) in:\n${run.stderr}`);
    assert.match(line.slice(at.length + 2), rule.message, `${label}: ${rule.rule}`);
  }
}

test("every SPEC §2 rule alone: exit 2, stdout empty, one line naming the field and the rule", async () => {
  assert.ok(BAD_INPUT_RULES.length >= 60, "the table covers every rule");
  for (const rule of BAD_INPUT_RULES) {
    const broken = breakOne(rule);
    assertRejected(
      await inProcess(["calc", "--input", writeInput(broken.input)]),
      broken,
      rule.rule,
    );
  }
});

test("many bad fields in one file: every one of them is reported in one run", async () => {
  const all = batches();
  assert.ok(all.length >= 5);
  let proved = 0;
  for (const [i, broken] of all.entries()) {
    assertRejected(
      await inProcess(["calc", "--input", writeInput(broken.input)]),
      broken,
      `batch ${i}`,
    );
    proved += broken.expected.size;
  }
  assert.equal(proved, BAD_INPUT_RULES.length, "each rule is proved in exactly one batch");
});

test("unreadable or malformed files: exit 2 with a message naming the file and the problem", async () => {
  const cases: [string, string[], RegExp][] = [
    ["missing file", ["calc", "--input", "nope.json"], /--input nope\.json: .*no such file/],
    ["a directory", ["calc", "--input", tmp], /it is a directory/],
    ["empty file", ["calc", "--input", writeInput("")], /the file is empty/],
    ["invalid JSON", ["calc", "--input", writeInput('{"policy": ')], /not valid JSON/],
    ["no --input", ["calc"], /required option '--input <file>'/],
    ["an extra argument", ["calc", "--input", writeInput(validInput()), "x"], /too many|unknown/],
    ["not UTF-8", ["calc", "--input", "latin1.json"], /latin1\.json: not UTF-8 text/],
  ];
  fs.writeFileSync(path.join(tmp, "latin1.json"), new Uint8Array([0x7b, 0xe9, 0x7d]));
  for (const [label, args, message] of cases) {
    const run = await inProcess(args);
    assert.equal(run.code, 2, `${label}: ${run.stderr}`);
    assert.equal(run.stdout, "", label);
    assert.match(run.stderr, message, label);
  }
});

test("a UTF-8 BOM and defaults (timezone UTC, status active) are accepted", async () => {
  const input = validInput();
  delete (input["policy"] as Json)["timezone"];
  const file = writeInput("\ufeff" + JSON.stringify(input));
  const run = await inProcess(["calc", "--input", file]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, "");
  // Two tier2 events on 2025-03-01 (UTC): one once_per_day claim at tier2 = 2500 bps.
  assert.deepEqual(JSON.parse(run.stdout), {
    claims: [{
      policyId: "P-1",
      claimDate: "2025-03-01",
      claimKey: "day",
      tier: "tier2",
      eventIds: ["E-1", "E-2"],
      uncappedBps: 2500,
      payoutBps: 2500,
      capped: false,
      payoutAmount: 250_000,
    }],
  });
});

/** Berlin's 23 h day, events at the edges, 10^12 insured at odd basis points, a capped claim. */
const BERLIN = {
  policy: {
    id: "P-berlin",
    region: "bavaria",
    currency: "EUR",
    sumInsured: 1_000_000_000_000,
    timezone: "Europe/Berlin",
    coverageStart: "2025-03-29",
    coverageEnd: "2025-03-31",
    payoutMode: "per_event",
    tierPayoutsBps: { tier1: 1111, tier2: 2500, tier3: 4999 },
    periodCapBps: 7777,
  },
  events: [
    // 00:30 CET on 03-30 (the 23 h day)
    { id: "e2", region: "bavaria", tier: "tier3", observedAt: "2025-03-30T00:30:00+01:00" },
    // 23:59:59 CET on 03-29
    { id: "e1", region: "bavaria", tier: "tier2", observedAt: "2025-03-29T22:59:59Z" },
    // 00:00 CEST on 03-31: exactly local midnight belongs to the new day
    { id: "e3", region: "bavaria", tier: "tier1", observedAt: "2025-03-30T22:00:00Z" },
    // 23:59:59 CEST on 03-31, the last second of coverage, but retracted
    {
      id: "e4",
      region: "bavaria",
      tier: "tier3",
      observedAt: "2025-03-31T21:59:59Z",
      status: "retracted",
    },
    // 00:00 CEST on 04-01: after coverage
    { id: "e5", region: "bavaria", tier: "tier3", observedAt: "2025-03-31T22:00:00Z" },
    // another region
    { id: "e6", region: "tyrol", tier: "tier3", observedAt: "2025-03-30T12:00:00Z" },
  ],
};

/** Worked out by hand: 2500 + 4999 = 7499 of the 7777 cap, leaving 278 for e3 (1111). */
const BERLIN_CLAIMS = [
  ["2025-03-29", "e1", "tier2", 2500, 2500, false, 250_000_000_000],
  ["2025-03-30", "e2", "tier3", 4999, 4999, false, 499_900_000_000],
  ["2025-03-31", "e3", "tier1", 1111, 278, true, 27_800_000_000],
].map(([claimDate, id, tier, uncappedBps, payoutBps, capped, payoutAmount]) => ({
  policyId: "P-berlin",
  claimDate,
  claimKey: id,
  tier,
  eventIds: [id],
  uncappedBps,
  payoutBps,
  capped,
  payoutAmount,
}));

test(`subprocess (${runtime}): exit codes, stdout and stderr as a shell sees them`, async () => {
  const [firstBatch] = batches();
  // Independent processes: run side by side (each pays the runtime's start-up).
  const [valid, invalid, missing, help] = await Promise.all([
    subprocess(["calc", "--input", writeInput(BERLIN)]),
    subprocess(["calc", "--input", writeInput(firstBatch!.input)]),
    subprocess(["calc", "--input", path.join(tmp, "missing.json")]),
    subprocess(["calc", "--help"]),
  ]);
  assert.equal(valid.code, 0, valid.stderr);
  assert.equal(valid.stderr, "");
  assert.deepEqual(JSON.parse(valid.stdout), { claims: BERLIN_CLAIMS });
  assert.ok(valid.stdout.endsWith("}\n"));

  assertRejected(invalid, firstBatch!, "subprocess");

  assert.equal(missing.code, 2);
  assert.equal(missing.stdout, "");
  assert.match(
    missing.stderr,
    /^error: --input \S*missing\.json: cannot read the file: no such file\n$/,
  );

  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /Usage: claims calc \[options\]/);
  assert.match(help.stdout, /--input <file>/);
});

test("Node and Deno print byte-identical stdout for the same files", async () => {
  // New York's 25 h day in once_per_day mode: both 01:30s of the day, an event a millisecond
  // before local midnight, two tied exactly at local midnight, and a claim the cap leaves at 0.
  const newYork = {
    policy: {
      ...validPolicy(),
      id: "P-ny",
      timezone: "America/New_York",
      coverageStart: "2025-11-01",
      coverageEnd: "2025-11-03",
      periodCapBps: 6000,
    },
    events: [
      { ...validEvent("b"), tier: "tier3", observedAt: "2025-11-02T06:30:00Z", value: 0.1 },
      { ...validEvent("a"), tier: "tier3", observedAt: "2025-11-02T01:30:00-04:00" },
      { ...validEvent("c"), tier: "tier1", observedAt: "2025-11-02T03:59:59Z" },
      { ...validEvent("e"), tier: "tier2", observedAt: "2025-11-03T05:00:00Z" },
      { ...validEvent("d"), tier: "tier2", observedAt: "2025-11-03T00:00:00-05:00" },
      { ...validEvent("f"), tier: "tier1", observedAt: "2025-11-03T04:59:59.999Z" },
    ],
  };
  const file = writeInput(newYork);
  const [onNode, onDeno] = await Promise.all([
    subprocess(["calc", "--input", file], "node"),
    subprocess(["calc", "--input", file], "deno"),
  ]);
  assert.equal(onNode.code, 0, onNode.stderr);
  assert.equal(onDeno.code, 0, onDeno.stderr);
  // By hand: c is 23:59:59 EDT on 11-01 (tier1, 1000 of the 6000 cap); a (01:30 EDT) and b
  // (01:30 EST) make 11-02 a tier3 day (5000, the rest of the cap) and f, 23:59:59.999 EST,
  // is a lower tier of that day; d and e, at 00:00 EST, make 11-03 a tier2 day left at 0.
  const claim = (date: string, tier: string, ids: string[], uncapped: number, payout: number) => ({
    policyId: "P-ny",
    claimDate: date,
    claimKey: "day",
    tier,
    eventIds: ids,
    uncappedBps: uncapped,
    payoutBps: payout,
    capped: payout < uncapped,
    payoutAmount: payout * 100, // sumInsured 1,000,000 x bps / 10,000
  });
  assert.deepEqual(JSON.parse(onNode.stdout), {
    claims: [
      claim("2025-11-01", "tier1", ["c"], 1000, 1000),
      claim("2025-11-02", "tier3", ["a", "b"], 5000, 5000),
      claim("2025-11-03", "tier2", ["d", "e"], 2500, 0),
    ],
  });
  assert.equal(onDeno.stdout, onNode.stdout);
});
