/**
 * What each bad-input test file shares: its own migrated database filled with a small valid
 * data set through the import commands (plus computed claims, ledger and audit rows), its own
 * Redis logical database, a baseline environment whose every URL carries PASSWORD, and
 * `check(case)`: write the case's files, run it, check the outcome and the database checksum.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after } from "../../support/test.ts";
import { useTestDatabase } from "../../support/database.ts";
import { useTestRedis } from "../../support/redis.ts";
import {
  type BadInputCase,
  BASELINE_RANGE,
  baselineEvents,
  baselinePolicies,
  toCsv,
  toJsonLines,
} from "../generate.ts";
import { checksumDifferences, databaseChecksum, type TableChecksum } from "./checksum.ts";
import { computeDays } from "./compute-days.ts";
import { describeRun, outcomeProblems } from "./outcome.ts";
import { type CliRun, runInProcess, runProcess } from "./run-cli.ts";

/** Recognisable in any output: it must never be printed. */
export const PASSWORD = "s3cr3t-PASSWORD";

/** Nothing listens on 127.0.0.1:1 (a privileged port no test binds); checked before use. */
export const CLOSED_PORT = 1;

export interface BadInputSuite {
  /** The baseline environment (valid, every URL with PASSWORD). */
  env(): Promise<Record<string, string>>;
  /** Runs one case and asserts its outcome and an unchanged database. */
  check(c: BadInputCase, mode?: "in-process" | "process"): Promise<CliRun>;
  /** The database checksum now. */
  checksum(): Promise<TableChecksum[]>;
}

function assertClosed(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      reject(
        new Error(`127.0.0.1:${port} accepts connections: the unreachable cases need it closed`),
      );
    });
    socket.once("error", () => resolve());
  });
}

function withPassword(url: string, username?: string): string {
  const parsed = new URL(url);
  if (username !== undefined) parsed.username = username;
  parsed.password = PASSWORD;
  return parsed.toString();
}

export function useBadInputSuite(label: string): BadInputSuite {
  const database = useTestDatabase(label);
  const redis = useTestRedis();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `claims-${label}-`));
  after(() => fs.rmSync(work, { recursive: true, force: true }));
  let env: Record<string, string> = {};
  let baseline: TableChecksum[] = [];
  let cases = 0;

  // Not a before() hook: Node runs a file's top-level hooks concurrently, so this one could
  // start before the database exists. The first check sets up, the others wait for it.
  let setup: Promise<void> | undefined;
  const ready = () => (setup ??= prepare());
  async function prepare(): Promise<void> {
    await assertClosed(CLOSED_PORT);
    env = {
      DATABASE_URL: withPassword(database.url),
      // The default user takes any password on a server without one (Redis 6+ ACL "nopass").
      REDIS_URL: withPassword(redis.url, "default"),
      TEMPORAL_ADDRESS: `127.0.0.1:${CLOSED_PORT}`,
      METRICS_PORT: "0",
      LOG_LEVEL: "warn",
    };
    const dir = path.join(work, "baseline");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "policies.csv"), toCsv("policies", baselinePolicies()));
    fs.writeFileSync(path.join(dir, "events.jsonl"), toJsonLines(baselineEvents()));
    for (
      const argv of [["policies", "import", "policies.csv"], ["events", "import", "events.jsonl"]]
    ) {
      const run = await runInProcess(argv, env, dir);
      assert.equal(run.code, 0, `baseline ${argv.join(" ")}: ${run.stderr}`);
    }
    const days = await computeDays(database.db, BASELINE_RANGE.from, BASELINE_RANGE.to);
    assert.ok(days > 0, "the baseline has computed policy-days");
    baseline = await databaseChecksum(database.sql);
    for (const table of ["public.policies", "public.risk_events", "public.claims"]) {
      assert.ok((baseline.find((t) => t.table === table)?.rows ?? 0) > 0, `${table} has rows`);
    }
  }

  return {
    async env() {
      await ready();
      return env;
    },
    async checksum() {
      await ready();
      return await databaseChecksum(database.sql);
    },
    async check(c, mode = "in-process") {
      await ready();
      const dir = path.join(work, String(++cases));
      fs.mkdirSync(dir);
      for (const file of c.files) {
        const target = path.join(dir, file.path);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, file.content);
      }
      const caseEnv = { ...env, ...c.env };
      const run = mode === "process"
        ? await runProcess(c.argv, caseEnv, dir)
        : await runInProcess(c.argv, caseEnv, dir);
      const problems = outcomeProblems(c, run, PASSWORD);
      const now = await databaseChecksum(database.sql);
      const changed = checksumDifferences(baseline, now);
      // The next case starts from what is there now, so one bad write fails one case only.
      baseline = now;
      if (changed.length > 0) problems.push(`the database changed: ${changed.join("; ")}`);
      fs.rmSync(dir, { recursive: true, force: true });
      assert.deepEqual(problems, [], describeRun(c, run));
      return run;
    },
  };
}
