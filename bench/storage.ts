/**
 * Storage benchmark (issue 4): 100,000 policy-days of one claim date (claims for ~5% of them)
 * written three ways into a dedicated database (created, migrated, dropped):
 *
 *   floor   the same claim and ledger rows as plain multi-row INSERT … ON CONFLICT statements,
 *           500 policy-days a transaction: no locks, no reads, no fences, no audit;
 *   batched writePolicyDays, 500 policy-days a call (the daily run's batch size): row locks,
 *           reads of stored claims and ledger, fence checks, cap re-allocation, audit rows;
 *   single  writePolicyDay, one transaction per policy-day, on an evenly spaced sample (every
 *           20th policy-day by default), so its rate is extrapolated from the sample.
 *
 * "Rows" are the claim rows plus the ledger rows each way writes (identical for all three). The
 * three ways are interleaved batch by batch (floor and batched alternate which goes first),
 * each on its own copy of the policies (same regions, zones, terms and events), so that they
 * meet the same table sizes and the same background load (this machine is shared) without
 * touching each other's policies. Sequential, one connection, after a warm-up.
 * Target: batched >= 0.5x the floor.
 *
 *   node --import tsx bench/storage.ts [--policy-days N] [--batch N] [--single-every N]
 *     [--out FILE]
 *
 * Writes bench/results/storage.json (make bench-storage). Not part of the tests.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { describeMachine } from "./lib/machine.ts";
import {
  allocateCaps,
  calculateDayCandidates,
  CALCULATOR_VERSION,
  type Policy,
  type RiskEvent,
} from "../src/domain/index.ts";
import {
  connectDatabase,
  connectSql,
  type Database,
  type Db,
  type PolicyDayWrite,
  runMigrations,
  splitDatabaseUrl,
  upsertEvents,
  upsertPolicies,
  writePolicyDay,
  writePolicyDays,
} from "../src/store/index.ts";
import { chunks } from "../src/store/chunks.ts";
import type { ClaimUpsert, LedgerChange } from "../src/store/policy-day-plan-types.ts";
import { ledgerColumns, upsertClaims } from "../src/store/policy-day-statements.ts";
import { unnestSelectFor } from "../src/store/unnest.ts";
import { setFromExcluded } from "../src/store/upsert-sql.ts";
import { calculationLedger } from "../src/store/schema/ledger.ts";

const { values: flags } = parseArgs({
  options: {
    "policy-days": { type: "string", default: "100000" },
    batch: { type: "string", default: "500" },
    "single-every": { type: "string", default: "20" },
    out: { type: "string", default: path.join("bench", "results", "storage.json") },
  },
});

function positiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

const POLICY_DAYS = positiveInt("policy-days", flags["policy-days"]);
const BATCH = positiveInt("batch", flags.batch);
const SINGLE_EVERY = positiveInt("single-every", flags["single-every"]);
const CLAIM_DATE = "2025-06-15";
const WARMUP_DATE = "2025-06-14";
const REGIONS = 100;
/** Regions with events on the claim date: 5 of 100 regions, so ~5% of the policies. */
const STORM_REGIONS = 5;
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "America/Los_Angeles"];

function benchUrl(): { url: string; name: string } {
  const base = new URL(process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/claims");
  const name = `claims_bench_storage_${crypto.randomBytes(4).toString("hex")}`;
  base.pathname = `/${name}`;
  return { url: base.toString(), name };
}

/** `count` policies whose ids start with `prefix` (one copy per way of writing). */
function makePolicies(prefix: string, count: number): Policy[] {
  const policies: Policy[] = [];
  for (let i = 0; i < count; i++) {
    policies.push({
      id: `${prefix}-${String(i).padStart(7, "0")}`,
      region: `region-${i % REGIONS}`,
      currency: "EUR",
      sumInsured: 100_000 + (i % 1000) * 1_000,
      timezone: ZONES[i % ZONES.length]!,
      coverageStart: "2025-01-01",
      coverageEnd: "2025-12-31",
      payoutMode: i % 2 === 0 ? "once_per_day" : "per_event",
      tierPayoutsBps: { tier1: 500, tier2: 1500, tier3: 4000 },
      periodCapBps: 5000,
    });
  }
  return policies;
}

function makeEvents(): RiskEvent[] {
  const events: RiskEvent[] = [];
  for (let r = 0; r < STORM_REGIONS; r++) {
    for (const date of [WARMUP_DATE, CLAIM_DATE]) {
      for (const hour of [11, 13]) {
        events.push({
          id: `bench-e-${r}-${date}-${hour}`,
          region: `region-${r}`,
          tier: hour === 13 ? "tier3" : "tier1",
          observedAt: `${date}T${hour}:00:00Z`,
          status: "active",
        });
      }
    }
  }
  return events;
}

function writesFor(
  policies: readonly Policy[],
  events: readonly RiskEvent[],
  claimDate: string,
  token: bigint,
): PolicyDayWrite[] {
  const byRegion = new Map<string, RiskEvent[]>();
  for (const e of events) byRegion.set(e.region, [...(byRegion.get(e.region) ?? []), e]);
  return policies.map((policy) => {
    const regionEvents = byRegion.get(policy.region) ?? [];
    return {
      policyId: policy.id,
      claimDate,
      fenceToken: token,
      writtenBy: "bench/storage",
      inputsHash: crypto.createHash("sha256").update(`${policy.id}|${regionEvents.length}`)
        .digest("hex"),
      eventsCount: regionEvents.length,
      candidates: calculateDayCandidates(policy, claimDate, regionEvents),
    };
  });
}

/** The rows the floor writes for a batch: the day's claims allocated from the full cap. */
function floorRows(policies: ReadonlyMap<string, Policy>, writes: readonly PolicyDayWrite[]) {
  const claims: ClaimUpsert[] = [];
  const ledger: LedgerChange[] = [];
  for (const w of writes) {
    const policy = policies.get(w.policyId)!;
    const allocated = allocateCaps(policy, w.candidates);
    let amount = 0n;
    let capped = 0;
    let bps = 0;
    for (const a of allocated) {
      claims.push({
        ...a,
        payoutAmount: BigInt(a.payoutAmount),
        fenceToken: w.fenceToken,
        calculatorVersion: CALCULATOR_VERSION,
      });
      amount += BigInt(a.payoutAmount);
      bps += a.payoutBps;
      if (a.capped) capped++;
    }
    ledger.push({
      policyId: w.policyId,
      claimDate: w.claimDate,
      existed: false,
      recomputed: true,
      claimsChanged: true,
      content: {
        fenceToken: w.fenceToken,
        inputsHash: w.inputsHash,
        calculatorVersion: CALCULATOR_VERSION,
        eventsCount: w.eventsCount,
        claimsCount: allocated.length,
        cappedCount: capped,
        payoutBpsTotal: bps,
        payoutAmountTotal: amount,
        computations: 1,
        writtenBy: w.writtenBy,
      },
    });
  }
  return { claims, ledger };
}

/**
 * The floor: the write path's own claim upsert and a multi-row ledger upsert of the same rows,
 * prepared and pipelined like the write path's statements; nothing else.
 */
async function writeFloor(db: Db, policies: ReadonlyMap<string, Policy>, batch: PolicyDayWrite[]) {
  const rows = floorRows(policies, batch);
  const now = sql`statement_timestamp()`;
  await db.transaction(async (tx) => {
    await Promise.all([
      upsertClaims(tx, rows.claims),
      tx.insert(calculationLedger).select(
        unnestSelectFor(calculationLedger, ledgerColumns(rows.ledger), {
          computedAt: now,
          changedAt: now,
        }),
      ).onConflictDoUpdate({
        target: [calculationLedger.policyId, calculationLedger.claimDate],
        set: setFromExcluded(calculationLedger, LEDGER_VALUE_COLUMNS),
      }).prepare("bench_floor_ledger_upsert").execute(),
    ]);
  });
}

const LEDGER_VALUE_COLUMNS = [
  "fenceToken",
  "inputsHash",
  "calculatorVersion",
  "eventsCount",
  "claimsCount",
  "cappedCount",
  "payoutBpsTotal",
  "payoutAmountTotal",
  "computations",
  "writtenBy",
  "computedAt",
  "changedAt",
] as const;

async function rowsOf(database: Database, prefix: string): Promise<number> {
  const like = `${prefix}-%`;
  const [row] = await database.sql<{ n: number }[]>`
    select (select count(*)::int from claims
        where claim_date = ${CLAIM_DATE} and policy_id like ${like})
      + (select count(*)::int from calculation_ledger
        where claim_date = ${CLAIM_DATE} and policy_id like ${like}) as n`;
  return row!.n;
}

async function timedMs(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  const { url, name } = benchUrl();
  console.log(`bench/storage: ${POLICY_DAYS} policy-days, batches of ${BATCH}, database ${name}`);
  const migrated = await runMigrations(url);
  const database = connectDatabase(url, { max: 2, applicationName: "bench-storage" });
  try {
    const copies = {
      floor: makePolicies("floor", POLICY_DAYS),
      batched: makePolicies("batched", POLICY_DAYS),
      single: makePolicies("single", POLICY_DAYS).filter((_, i) => i % SINGLE_EVERY === 0),
    };
    const events = makeEvents();
    const byId = new Map(copies.floor.map((p) => [p.id, p]));
    const loadMs = await timedMs(async () => {
      await upsertPolicies(database.db, [...copies.floor, ...copies.batched, ...copies.single]);
      await upsertEvents(database.db, events);
    });
    await database.sql`vacuum analyze policies, risk_events`;
    console.log(
      `  loaded ${POLICY_DAYS * 2 + copies.single.length} policies in ${loadMs.toFixed(0)} ms`,
    );

    // Warm-up on another day: JIT, prepared statements, caches.
    const warmup = (list: Policy[]) =>
      chunks(writesFor(list.slice(0, 4 * BATCH), events, WARMUP_DATE, 1n), BATCH);
    for (const batch of warmup(copies.floor)) await writeFloor(database.db, byId, batch);
    for (const batch of warmup(copies.batched)) await writePolicyDays(database.db, batch);
    for (const w of warmup(copies.single).flat().slice(0, 50)) await writePolicyDay(database.db, w);
    await database.sql`checkpoint`;

    const floorBatches = chunks(writesFor(copies.floor, events, CLAIM_DATE, 1n), BATCH);
    const batchedBatches = chunks(writesFor(copies.batched, events, CLAIM_DATE, 1n), BATCH);
    // The single writes spread evenly over the run: one slice per batch of the other two.
    const singleWrites = writesFor(copies.single, events, CLAIM_DATE, 1n);
    const perBatch = Math.ceil(singleWrites.length / floorBatches.length);
    const ms = { floor: 0, batched: 0, single: 0 };
    let sampled = 0;
    for (let i = 0; i < floorBatches.length; i++) {
      const floor = () => writeFloor(database.db, byId, floorBatches[i]!);
      const batched = () => writePolicyDays(database.db, batchedBatches[i]!);
      if (i % 2 === 0) {
        ms.floor += await timedMs(floor);
        ms.batched += await timedMs(batched);
      } else {
        ms.batched += await timedMs(batched);
        ms.floor += await timedMs(floor);
      }
      const sample = singleWrites.slice(i * perBatch, (i + 1) * perBatch);
      sampled += sample.length;
      ms.single += await timedMs(async () => {
        for (const w of sample) await writePolicyDay(database.db, w);
      });
      if ((i + 1) % 40 === 0) console.log(`  ${(i + 1) * BATCH} policy-days …`);
    }
    const rows = {
      floor: await rowsOf(database, "floor"),
      batched: await rowsOf(database, "batched"),
      single: await rowsOf(database, "single"),
    };
    const perSecond = {
      floor: rate(rows.floor, ms.floor),
      batched: rate(rows.batched, ms.batched),
      single: rate(rows.single, ms.single),
    };
    const ratio = round2(perSecond.batched / perSecond.floor);
    console.log(
      `  floor:   ${perSecond.floor} rows/s (${rows.floor} rows, ${ms.floor.toFixed(0)} ms)`,
    );
    console.log(
      `  batched: ${perSecond.batched} rows/s (${rows.batched} rows, ${ms.batched.toFixed(0)} ms)`,
    );
    console.log(
      `  single:  ${perSecond.single} rows/s (sample of ${sampled} policy-days, ${rows.single} rows, ${
        ms.single.toFixed(0)
      } ms)`,
    );

    // The same day again with a newer token and the same inputs: a rerun that changes nothing.
    const rerun = chunks(writesFor(copies.batched, events, CLAIM_DATE, 2n), BATCH);
    const rerunMs = await timedMs(async () => {
      for (const batch of rerun) {
        const outcomes = await writePolicyDays(database.db, batch);
        if (outcomes.some((o) => o.status !== "unchanged")) throw new Error("rerun changed claims");
      }
    });
    console.log(`  batched rerun (all unchanged): ${rerunMs.toFixed(0)} ms`);

    const policyDays = POLICY_DAYS;
    const result = {
      benchmark: "storage",
      description: "policy-days of one claim date written through the fenced batched path " +
        "(writePolicyDays), through one transaction per policy-day (writePolicyDay), and as " +
        "plain multi-row upserts of the same claim and ledger rows (floor), each on its own " +
        "copy of the policies; rows = claim rows + ledger rows; the three interleaved batch " +
        "by batch, sequential, one connection",
      policyDays,
      claimRows: rows.batched - policyDays,
      claimShareOfPolicyDays: round2(
        batchedBatches.flat().filter((w) => w.candidates.length > 0).length / policyDays,
      ),
      batchSize: BATCH,
      migrationsApplied: migrated.applied,
      batchedRowsPerSecond: perSecond.batched,
      singleRowsPerSecond: perSecond.single,
      floorRowsPerSecond: perSecond.floor,
      ratioToFloor: ratio,
      target: "batchedRowsPerSecond >= 0.5 x floorRowsPerSecond",
      targetMet: ratio >= 0.5,
      batchedPolicyDaysPerSecond: rate(policyDays, ms.batched),
      floorPolicyDaysPerSecond: rate(policyDays, ms.floor),
      singlePolicyDaysPerSecond: rate(sampled, ms.single),
      batchedRerunUnchangedPolicyDaysPerSecond: rate(policyDays, rerunMs),
      single: {
        extrapolated: true,
        sampledPolicyDays: sampled,
        sampledRows: rows.single,
        note: `a sample of every ${SINGLE_EVERY}th policy, written with writePolicyDay (one ` +
          `transaction each) spread over the run between the other two; rows/s measured on ` +
          `the sample and ` +
          `extrapolated: all ${policyDays} this way would take about ` +
          `${Math.round(rows.batched / perSecond.single)} s`,
      },
      durationsMs: {
        load: Math.round(loadMs),
        floor: Math.round(ms.floor),
        batched: Math.round(ms.batched),
        singleSample: Math.round(ms.single),
        batchedRerun: Math.round(rerunMs),
      },
      machine: describeMachine(),
      // The machine is shared (other suites run beside this one): 1/5/15-minute load averages.
      loadAverage: { atStart: loadBefore.map(round2), atEnd: os.loadavg().map(round2) },
    };
    fs.mkdirSync(path.dirname(flags.out), { recursive: true });
    fs.writeFileSync(flags.out, JSON.stringify(result, null, 2) + "\n");
    console.log(`  ratio to floor: ${ratio} (target >= 0.5); wrote ${flags.out}`);
  } finally {
    await database.close();
    const admin = connectSql(splitDatabaseUrl(url).maintenanceUrl, { max: 1 });
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end({ timeout: 5 });
  }
}

await main();
