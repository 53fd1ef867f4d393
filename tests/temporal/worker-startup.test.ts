/**
 * `claims worker` checks what it depends on before it polls, and each failure is one line
 * naming the dependency, its address (user kept, password hidden), the cause and the fix, with
 * an exit code of its own (src/health/startup-errors.ts). The first error is the one reported:
 * a taken METRICS_PORT once surfaced only as "Cannot close connection while Workers hold a
 * reference to it". Real processes on the test's runtime, real services.
 */
import assert from "node:assert/strict";
import net from "node:net";
import process from "node:process";
import { Connection } from "@temporalio/client";
import { msToTs } from "@temporalio/common/lib/time.js";
import { StartupExitCodes } from "../../src/health/startup-errors.ts";
import { freePort } from "../../scripts/lib/free-port.ts";
import { runClaimsProcess } from "../integration/ops/support/cli.ts";
import { createTestDatabase, dropTestDatabase, useTestDatabase } from "../support/database.ts";
import { useTestRedis } from "../support/redis.ts";
import { useTemporal } from "../support/temporal.ts";
import { before, describe, test } from "../support/test.ts";
import { prebuiltWorkflowBundle } from "../support/workers.ts";

const database = useTestDatabase("worker-startup");
const redis = useTestRedis();
const temporal = useTemporal();
const PASSWORD = "Zx9-startup-secret";

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...process.env as Record<string, string>,
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `startup-${process.pid}`,
    METRICS_PORT: "0",
    LOG_LEVEL: "info",
    ...extra,
  };
}

async function worker(extra: Record<string, string>, args: string[] = ["--no-migrate"]) {
  const bundle = await prebuiltWorkflowBundle();
  return await runClaimsProcess(
    ["worker", ...args, "--workflow-bundle", bundle],
    env(extra),
    120_000,
  );
}

/** The one `error:` line on stderr, checked for the password and the shutdown error. */
function errorLine(run: { stdout: string; stderr: string }): string {
  const lines = run.stderr.split("\n").filter((l) => l.startsWith("error: "));
  assert.equal(lines.length, 1, `one error line:\n${run.stderr}\n${run.stdout}`);
  const all = run.stdout + run.stderr;
  assert.ok(!all.includes(PASSWORD), `the password never appears:\n${all}`);
  assert.doesNotMatch(all, /Cannot close connection|IllegalStateError/);
  return lines[0]!;
}

describe("worker start-up checks", () => {
  let closedPort = 0;
  before(async () => {
    closedPort = await freePort();
  });

  test("METRICS_PORT in use: exit 15, the port named and the fix, no shutdown error in its place", async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "0.0.0.0", () => resolve()));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const run = await worker({ METRICS_PORT: String(port) });
      assert.equal(run.code, StartupExitCodes.METRICS_PORT_UNAVAILABLE, run.stderr + run.stdout);
      assert.match(
        errorLine(run),
        new RegExp(
          `^error: METRICS_PORT ${port} is in use on 0\\.0\\.0\\.0; set METRICS_PORT to a free port or 0`,
        ),
      );
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  test("METRICS_HOST that is no address of this host: exit 15, naming METRICS_HOST", async () => {
    const run = await worker({
      METRICS_PORT: String(await freePort()),
      METRICS_HOST: "192.0.2.123",
    });
    assert.equal(run.code, StartupExitCodes.METRICS_PORT_UNAVAILABLE, run.stderr);
    assert.match(errorLine(run), /METRICS_HOST 192\.0\.2\.123 is not an address of this host/);
  });

  test("PostgreSQL unreachable: exit 10, the URL with its user and without its password", async () => {
    const url = `postgres://claims_user:${PASSWORD}@127.0.0.1:${closedPort}/claims`;
    const run = await worker({ DATABASE_URL: url });
    assert.equal(run.code, StartupExitCodes.POSTGRES_UNREACHABLE, run.stderr);
    assert.match(
      errorLine(run),
      new RegExp(
        `^error: PostgreSQL at postgres://claims_user:\\*\\*\\*@127\\.0\\.0\\.1:${closedPort}/claims ` +
          "is unreachable: .*ECONNREFUSED.*; check DATABASE_URL",
      ),
    );
  });

  test("a user PostgreSQL does not know: exit 10, the user name shown", async () => {
    const url = new URL(database.url);
    url.username = "nouser";
    const run = await worker({ DATABASE_URL: url.toString() });
    assert.equal(run.code, StartupExitCodes.POSTGRES_UNREACHABLE, run.stderr);
    assert.match(errorLine(run), /postgres:\/\/nouser@.*role "nouser" does not exist/);
  });

  test("schema not migrated (--no-migrate on a new database): exit 11, naming claims migrate", async () => {
    const empty = await createTestDatabase("worker-startup-empty");
    try {
      // createTestDatabase migrates; take the schema away again.
      await empty.sql.unsafe(
        "drop schema drizzle cascade; drop schema public cascade; create schema public",
      );
      const run = await worker({ DATABASE_URL: empty.url });
      assert.equal(run.code, StartupExitCodes.SCHEMA_NOT_MIGRATED, run.stderr);
      assert.match(
        errorLine(run),
        /the schema is not migrated \(0 of \d+ migrations applied\); run `claims migrate`/,
      );
    } finally {
      await empty.close();
      await dropTestDatabase(empty.name);
    }
  });

  test("Redis unreachable: exit 12, the URL without its password and the way out", async () => {
    const run = await worker({
      REDIS_URL: `redis://default:${PASSWORD}@127.0.0.1:${closedPort}/0`,
    });
    assert.equal(run.code, StartupExitCodes.REDIS_UNREACHABLE, run.stderr);
    assert.match(
      errorLine(run),
      new RegExp(
        `^error: Redis at redis://default:\\*\\*\\*@127\\.0\\.0\\.1:${closedPort}/0 is unreachable: ` +
          ".*; check REDIS_URL and that Redis runs, or set LOCK_BACKEND=postgres",
      ),
    );
  });

  test("Temporal unreachable: exit 13, the address and the variable", async () => {
    const run = await worker({ TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}` });
    assert.equal(run.code, StartupExitCodes.TEMPORAL_UNREACHABLE, run.stderr);
    assert.match(
      errorLine(run),
      new RegExp(
        `^error: Temporal at 127\\.0\\.0\\.1:${closedPort} is unreachable: .*; check TEMPORAL_ADDRESS`,
      ),
    );
  });

  test("a namespace that does not exist: exit 14, naming TEMPORAL_NAMESPACE", async () => {
    const run = await worker({ TEMPORAL_NAMESPACE: "no-such-namespace" });
    assert.equal(run.code, StartupExitCodes.TEMPORAL_NAMESPACE, run.stderr);
    assert.match(
      errorLine(run),
      /^error: Temporal namespace "no-such-namespace" does not exist at .*; set TEMPORAL_NAMESPACE/,
    );
  });

  test("a namespace without the runs' search attributes: exit 14, with the command that registers them", async () => {
    const namespace = `no-attributes-${process.pid}`;
    const connection = await Connection.connect({ address: temporal.address });
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs("1 day"),
      }).catch((error: Error) => {
        if (!/already/i.test(error.message)) throw error;
      });
      // A new namespace reaches every frontend cache within seconds.
      for (let i = 0; i < 100; i++) {
        const ok = await connection.workflowService.describeNamespace({ namespace }).then(
          () => true,
          () => false,
        );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await connection.close();
    }
    const run = await worker({ TEMPORAL_NAMESPACE: namespace });
    assert.equal(run.code, StartupExitCodes.TEMPORAL_NAMESPACE, run.stderr);
    assert.match(
      errorLine(run),
      new RegExp(
        `lacks the search attribute\\(s\\) ClaimDate, RunKind; register them: temporal operator ` +
          `search-attribute create --namespace ${namespace} --name ClaimDate --type Keyword`,
      ),
    );
  });
});
