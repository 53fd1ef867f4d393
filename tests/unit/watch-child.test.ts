/**
 * The dead-child watcher the demo, the test harness and the chaos driver share
 * (scripts/lib/watch-child.ts): an exit nobody asked for rejects at once, naming the process
 * and quoting the last lines of its log; an exit asked for does not.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { nodeBinary } from "../../scripts/lib/runtimes.ts";
import { ChildExitedError, unlessDead, watchChild } from "../../scripts/lib/watch-child.ts";
import { test } from "../support/test.ts";

function child(script: string, logFile?: string) {
  const fd = logFile ? fs.openSync(logFile, "a") : "ignore";
  const c = spawn(nodeBinary(), ["-e", script], { stdio: ["ignore", fd, fd] });
  if (typeof fd === "number") fs.closeSync(fd);
  return c;
}

test("a child that dies: rejected at once with its name, exit and last log lines", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "watch-child-"));
  const log = path.join(dir, "worker.log");
  try {
    const script = "for (let i = 1; i <= 30; i++) console.log('line ' + i); " +
      "console.error('error: METRICS_PORT 9464 is in use'); process.exit(15)";
    const watch = watchChild({
      name: "worker-2",
      child: child(script, log),
      log: { file: log },
      lines: 5,
    });
    const started = Date.now();
    const forever = new Promise(() => undefined);
    const error = await unlessDead(forever, watch).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof ChildExitedError);
    assert.equal(error.code, 15);
    assert.match(
      error.message,
      /^worker-2 \(pid \d+\) exited unexpectedly with code 15; last 5 line\(s\) of /,
    );
    assert.ok(
      error.message.endsWith("\n  line 29\n  line 30\n  error: METRICS_PORT 9464 is in use"),
    );
    assert.doesNotMatch(error.message, /line 25\n/);
    assert.ok(Date.now() - started < 10_000);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an exit asked for is no failure; the work's own result wins", async () => {
  const c = child("setTimeout(() => {}, 60000)");
  const watch = watchChild({ name: "w", child: c, log: { text: () => "" } });
  watch.expectExit();
  c.kill("SIGTERM");
  assert.deepEqual((await watch.exited).signal, "SIGTERM");
  const raced = await Promise.race([
    watch.failure.then(() => "failed", () => "failed"),
    new Promise((r) => setTimeout(() => r("no failure"), 300)),
  ]);
  assert.equal(raced, "no failure");
  assert.equal(await unlessDead(Promise.resolve(42), watch), 42);
});
