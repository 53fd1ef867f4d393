/**
 * The raw floor of the daily run (issue 13): the same semantic work as the product's
 * policy-day computation, written for speed with nothing the product needs for other reasons
 * (no Temporal, Drizzle, zod, ports or checkpoints): raw postgres.js prepared statements,
 * Redis Lua through ioredis, and the pure calculator of src/domain, the only code it shares
 * with the product. Per claim date, over the ids of every policy covering it, chunks in flight:
 *
 *   Redis   SET NX PX + fencing token per policy-day (`lock:claim_calc:<id>:<date>`, the
 *           product's fence keys and token rule), one Lua call a chunk (raw-floor-locks.ts)
 *   read    BEGIN; policies FOR UPDATE in id order, the day's events, their stored claims
 *   compute each policy's local day, candidates, cap re-allocation where it has candidates or
 *           claims on the day, inputs hash, claim and audit changes (raw-floor-compute.ts)
 *   write   one UNNEST ledger upsert whose DO UPDATE checks the fence, the claim statements
 *           behind it, COMMIT (raw-floor-sql.ts)
 *   Redis   Lua compare-and-delete of every lock of the chunk, one call
 *
 * Locked-out policy-days are retried after a pause like the product's contention rounds. A
 * lease older than half its TTL at write time counts as lost (no extension timer here: a chunk
 * takes milliseconds), and the chunk rolls back for the next round.
 */
import postgres from "postgres";
import { localDayBounds } from "../../src/domain/calendar.ts";
import { CALCULATOR_VERSION } from "../../src/domain/version.ts";
import { addTotals, amountsOf, emptyTotals, type Totals } from "../../src/calc/totals.ts";
import type { FloorRun } from "./floor.ts";
import { planChunk } from "./raw-floor-compute.ts";
import { connectChunkLocks } from "./raw-floor-locks.ts";
import { coveringIds, readChunk, writeChunk } from "./raw-floor-sql.ts";

export interface RawFloorSettings {
  /** Policy-days per lock pipeline and transaction. */
  chunkSize: number;
  /** Chunks in flight (one PostgreSQL connection each). */
  inFlight: number;
  lockTtlMs: number;
}

/**
 * On this 2-core machine: three chunks in flight keep both cores busy (one waits on Redis or
 * PostgreSQL while the others compute or write); 500 policy-days a chunk amortise the round
 * trips and commits, and larger chunks measured no faster.
 */
export const RAW_FLOOR_DEFAULTS: RawFloorSettings = {
  chunkSize: 500,
  inFlight: 3,
  lockTtlMs: 120_000,
};

export const RAW_FLOOR_WRITTEN_BY = "bench/daily-run/raw-floor";

const CONTENTION_ROUNDS = 3;
const BACKOFF_MS = 250;

interface ChunkResult {
  contended: string[];
  totals: Totals;
}

export interface RawFloorRunner {
  settings: RawFloorSettings;
  run(date: string): Promise<FloorRun>;
  close(): Promise<void>;
}

export async function createRawFloorRunner(options: {
  databaseUrl: string;
  redisUrl: string;
  settings?: Partial<RawFloorSettings>;
}): Promise<RawFloorRunner> {
  const settings = { ...RAW_FLOOR_DEFAULTS, ...options.settings };
  const sql = postgres(options.databaseUrl, {
    max: settings.inFlight,
    prepare: true,
    onnotice: () => {},
    types: { bigint: postgres.BigInt },
    connection: { application_name: "bench-daily-run-raw-floor" },
  });
  const locks = await connectChunkLocks(options.redisUrl, settings.lockTtlMs);

  async function runChunk(
    date: string,
    ids: readonly string[],
    bounds: (timeZone: string) => { startMs: number; endMs: number },
  ): Promise<ChunkResult> {
    const acquiredAt = performance.now();
    const tokens = await locks.acquire(ids, date);
    const held: string[] = [];
    const heldTokens: string[] = [];
    const contended: string[] = [];
    ids.forEach((id, i) => {
      if (tokens[i] === "") contended.push(id);
      else (held.push(id), heldTokens.push(tokens[i]!));
    });
    const totals = emptyTotals();
    if (held.length === 0) return { contended, totals };
    try {
      const c = await sql.reserve();
      try {
        const read = readChunk(c, held, date);
        const [, policyRows, eventRows, claimRows] = await Promise.all([
          read.begun,
          read.policies,
          read.events,
          read.claims,
        ]);
        const plan = planChunk(date, held, heldTokens, policyRows, eventRows, claimRows, bounds);
        totals.skipped = plan.skipped;
        totals.failed = plan.missing;
        if (performance.now() - acquiredAt > settings.lockTtlMs / 2) {
          await c`rollback`;
          return { contended: [...contended, ...held], totals: emptyTotals() };
        }
        const write = writeChunk(c, date, plan.writes, CALCULATOR_VERSION, RAW_FLOOR_WRITTEN_BY);
        await write.done;
        const computations = new Map(
          (await write.ledger).map((r) => [r.policy_id, r.computations]),
        );
        // Per currency, as the product's totals: never one sum across currencies.
        const currencyOf = new Map(policyRows.map((p) => [p.id, p.currency]));
        const payouts = new Map<string, bigint>();
        for (const [id, outcome] of plan.outcomes) {
          const n = computations.get(id);
          if (n === undefined) {
            totals.stale++;
            continue;
          }
          if (n === 1 || outcome.changed) totals.computed++;
          else totals.unchanged++;
          totals.claims += outcome.totals.claims;
          totals.cappedClaims += outcome.totals.capped;
          const currency = currencyOf.get(id)!;
          payouts.set(currency, (payouts.get(currency) ?? 0n) + outcome.totals.amount);
        }
        totals.payouts = amountsOf(payouts);
        totals.policyDays = held.length;
      } catch (error) {
        await c`rollback`.catch(() => undefined);
        throw error;
      } finally {
        c.release();
      }
    } finally {
      await locks.release(held, heldTokens, date);
    }
    return { contended, totals };
  }

  async function run(date: string): Promise<FloorRun> {
    const started = performance.now();
    const zones = new Map<string, { startMs: number; endMs: number }>();
    const bounds = (timeZone: string) => {
      let b = zones.get(timeZone);
      if (!b) zones.set(timeZone, b = localDayBounds(date, timeZone));
      return b;
    };
    let list = (await coveringIds(sql, date)).map((r) => r.id);
    let totals = emptyTotals();
    for (let round = 0;; round++) {
      const current = list;
      const contended: string[] = [];
      let next = 0;
      const lane = async () => {
        while (next < current.length) {
          const chunk = current.slice(next, next + settings.chunkSize);
          next += settings.chunkSize;
          const result = await runChunk(date, chunk, bounds);
          totals = addTotals(totals, result.totals);
          contended.push(...result.contended);
        }
      };
      await Promise.all(Array.from({ length: settings.inFlight }, lane));
      if (contended.length === 0) break;
      if (round >= CONTENTION_ROUNDS) {
        totals = addTotals(totals, {
          ...emptyTotals(),
          policyDays: contended.length,
          contended: contended.length,
        });
        break;
      }
      await new Promise((r) => setTimeout(r, BACKOFF_MS * 2 ** round));
      list = contended.sort();
    }
    return { date, ms: performance.now() - started, totals };
  }

  return {
    settings,
    run,
    async close() {
      locks.close();
      await sql.end({ timeout: 5 });
    },
  };
}
