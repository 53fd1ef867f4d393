/**
 * Readiness with a dependency gone: a worker on a private redis-server (never the machine's
 * shared one) answers /healthz and /readyz; when that Redis stops, /readyz fails within 5 s,
 * naming Redis, and the worker logs the lock backend's failure at once in ONE warn line (not one
 * per failed command, not at the sixth attempt); when Redis is back, /readyz recovers and one
 * info line says so. /healthz stays 200 throughout: the process is alive.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { RedisServer } from "../../scripts/chaos/services.ts";
import { freePort } from "../../scripts/lib/free-port.ts";
import { useTestDatabase } from "../support/database.ts";
import { useTemporal } from "../support/temporal.ts";
import { after, before, describe, test } from "../support/test.ts";
import { prebuiltWorkflowBundle, workerPool, type WorkerProcess } from "../support/workers.ts";

const database = useTestDatabase("worker-health");
const temporal = useTemporal();

interface Readiness {
  ready: boolean;
  dependencies: Record<string, { ok: boolean; error?: string }>;
}

async function readyz(port: number): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, {
    signal: AbortSignal.timeout(2_000),
  });
  return { status: response.status, body: await response.json() as Readiness };
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const redisWarnings = (w: WorkerProcess) =>
  w.logs().filter((l) => l["level"] === "warn" && l["dependency"] === "redis");

describe("readiness with Redis stopped and started again", () => {
  const pool = workerPool();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claims-health-"));
  let redis: RedisServer;
  let worker: WorkerProcess;
  let port = 0;

  before(async () => {
    redis = await RedisServer.start(path.join(dir, "redis.log"));
    port = await freePort();
    worker = await pool.spawn({
      name: "health-worker",
      env: {
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_TASK_QUEUE: `health-${process.pid}`,
        METRICS_PORT: String(port),
        METRICS_HOST: "127.0.0.1",
      },
      workflowBundle: await prebuiltWorkflowBundle(),
    });
  });

  after(async () => {
    await pool.stopAll();
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("ready with every dependency up", async () => {
    const { status, body } = await readyz(port);
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(Object.keys(body.dependencies).sort(), ["postgres", "redis", "temporal"]);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  });

  test("Redis stopped: /readyz 503 within 5 s naming Redis, one warn line at once; back: ready again", async () => {
    assert.equal(redisWarnings(worker).length, 0);
    const stoppedAt = Date.now();
    await redis.stop();
    const failed = await until("/readyz failing", 5_000, async () => {
      const r = await readyz(port);
      return r.status === 503 ? r : null;
    });
    const elapsed = Date.now() - stoppedAt;
    console.log(`/readyz answered 503 ${elapsed} ms after Redis stopped`);
    assert.ok(elapsed < 5_000, `readiness failed after ${elapsed} ms`);
    assert.equal(failed.body.dependencies["redis"]?.ok, false);
    assert.equal(failed.body.dependencies["postgres"]?.ok, true);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200, "alive all along");

    // Logged at once: the warn line is there as soon as readiness fails, within a second or two.
    const warned = await until(
      "the warn line",
      3_000,
      () => Promise.resolve(redisWarnings(worker)[0] ?? null),
    );
    assert.match(
      String(warned["msg"]),
      /^redis at redis:\/\/127\.0\.0\.1:\d+\/0 is unreachable: .*policy-days cannot be locked/,
    );
    // Three more seconds of a dead Redis (reconnect attempts, failed checks every second): still
    // that one line.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(redisWarnings(worker).length, 1, JSON.stringify(redisWarnings(worker)));

    await redis.restart(0);
    await until(
      "/readyz recovering",
      15_000,
      async () => ((await readyz(port)).status === 200 ? true : null),
    );
    const back = worker.logs().filter((l) => l["msg"] === "redis reachable again");
    assert.equal(back.length, 1);
    assert.equal(redisWarnings(worker).length, 1, "no more warnings once it is back");
  });
});
