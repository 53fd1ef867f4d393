/**
 * Issue 9, the 50 MB file: valid event rows with one bad row near the end, generated into a
 * temporary directory. The import must read it all, exit 2 naming the row and the field, and
 * write nothing; its time and the growth of the process's memory are printed for the record.
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
