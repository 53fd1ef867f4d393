/**
 * Issue 9, the 50 MB file: valid event rows with one bad row near the end, generated into a
 * temporary directory. The import must read it all, exit 2 naming the row and the field, and
 * write nothing; its time and the growth of the process's memory are printed for the record.
 * Issue 24: one JSON Lines line of 100 MB, over the 1 MiB cap, is refused naming its line, in
 * memory bounded by the cap (the process's resident memory, sampled while it reads).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { after, test } from "../support/test.ts";
import { bigEventsFile, DEFAULT_SEED } from "./generate.ts";
import { rowProblem } from "./generator/case.ts";
import { useBadInputSuite } from "./support/suite.ts";

const TARGET_BYTES = 50 * 1024 * 1024;
const LONG_LINE_BYTES = 100 * 1024 * 1024;
/** Before the cap, this line cost 1.03 GB and 26.6 s; reading it now keeps ~1 MiB of it. */
const LONG_LINE_RSS_LIMIT_MB = 200;

const suite = useBadInputSuite("badinput_big_file");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claims-badinput-big-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("a 50 MB events file with one bad row near the end: exit 2, the row named, nothing written", {
  timeout: 180_000,
}, async () => {
  const plan = bigEventsFile(TARGET_BYTES, DEFAULT_SEED);
  const file = path.join(dir, "events-50mb.jsonl");
  const fd = fs.openSync(file, "w");
  try {
    for (const chunk of plan.chunks()) fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
  const bytes = fs.statSync(file).size;
  assert.ok(bytes >= TARGET_BYTES, `the file has ${bytes} bytes`);

  const rssBefore = process.memoryUsage().rss;
  const run = await suite.check({
    name: "file/events/jsonl/50 MB, one bad row near the end",
    category: "file",
    argv: ["events", "import", file],
    env: {},
    files: [],
    exitCode: 2,
    message: new RegExp(
      `1 invalid event of ${plan.rows}[\\s\\S]*${rowProblem(plan.badRow, plan.badField).source}`,
    ),
  });
  const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
  console.log(
    `50 MB file: ${(bytes / 1024 / 1024).toFixed(1)} MiB, ${plan.rows} rows, bad row ` +
      `${plan.badRow}: refused in ${(run.ms / 1000).toFixed(2)} s ` +
      `(${Math.round(bytes / 1024 / 1024 / (run.ms / 1000))} MiB/s), RSS growth ` +
      `${rssGrowthMb.toFixed(0)} MiB`,
  );
});

test("one 100 MB JSON Lines line: refused naming the line, in linear time and bounded memory", {
  timeout: 180_000,
}, async () => {
  const file = path.join(dir, "events-long-line.jsonl");
  const fd = fs.openSync(file, "w");
  try {
    const row = (id: string) =>
      JSON.stringify({ id, region: "coastal", tier: "tier1", observedAt: "2025-03-10T12:00:00Z" });
    fs.writeSync(fd, row("LONG-1") + "\n");
    fs.writeSync(fd, '{"id":"LONG-2","region":"coastal","tier":"tier1","source":"');
    const mib = "s".repeat(1024 * 1024);
    for (let i = 0; i < LONG_LINE_BYTES / mib.length; i++) fs.writeSync(fd, mib);
    fs.writeSync(fd, '","observedAt":"2025-03-10T12:00:00Z"}\n');
    fs.writeSync(fd, row("LONG-3") + "\n");
  } finally {
    fs.closeSync(fd);
  }
  const bytes = fs.statSync(file).size;
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  let run;
  try {
    run = await suite.check({
      name: "file/events/jsonl/one 100 MB line",
      category: "file",
      argv: ["events", "import", file],
      env: {},
      files: [],
      exitCode: 2,
      message:
        /1 invalid event of 3[\s\S]*row 2: the line has \d+ bytes, more than the limit of 1048576 bytes/,
    });
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  const growthMb = (peak - rssBefore) / 1024 / 1024;
  console.log(
    `100 MB line: ${(bytes / 1024 / 1024).toFixed(1)} MiB refused in ${
      (run.ms / 1000).toFixed(2)
    } s ` +
      `(${Math.round(bytes / 1024 / 1024 / (run.ms / 1000))} MiB/s), peak RSS growth ${
        growthMb.toFixed(0)
      } MiB`,
  );
  assert.ok(growthMb < LONG_LINE_RSS_LIMIT_MB, `peak RSS grew by ${growthMb.toFixed(0)} MiB`);
});
