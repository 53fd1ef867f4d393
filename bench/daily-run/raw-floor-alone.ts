/**
 * The raw floor alone on a book of its own, for the number issue 13 asks about (a 100,000
 * policy daily run) without the whole daily-run benchmark around it: a scratch database
 * (created, migrated, loaded, dropped), a leased Redis database, a warm-up date, then the raw
 * floor timed on one or more dates, each checked complete in the ledger. Its inputs hashes are
 * checked against the product's inputsHash (src/calc/inputs-hash.ts) on a sample of days.
 *
 * `--compare` also runs the core floor (calculatePolicyDays, the product's code) on a second
 * copy of the book and requires the same claims, ledger and audit rows: the quick way to test
 * the raw floor's semantics without Temporal. Then it changes the first date's events on both
 * copies (some retracted, some re-graded, one added) and recomputes that date on both: updates,
 * deletes, re-allocation of the later dates' stored claims and their audit rows must agree too.
 *
 *   node --import tsx bench/daily-run/raw-floor-alone.ts [--policies N] [--dates K]
 *     [--chunk N] [--in-flight N] [--compare]
 */
import os from "node:os";
import process from "node:process";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { inputsHash } from "../../src/calc/inputs-hash.ts";
import { loadConfig } from "../../src/config.ts";
import { addDays } from "../../src/domain/calendar.ts";
import type { RiskEvent } from "../../src/domain/schemas.ts";
import { createBenchDatabase } from "../lib/bench-database.ts";
import { leaseRedisDatabase } from "../lib/redis-database.ts";
import { dateState, expectComplete, expectSameState } from "./checks.ts";
import { startCpuProbe } from "./cpu.ts";
import { benchEvents, groupPolicies, type PolicyGroup } from "./data.ts";
import { createFloorRunner, floorSettingsOf } from "./floor.ts";
import { loadBook } from "./load.ts";
import { createRawFloorRunner, RAW_FLOOR_DEFAULTS } from "./raw-floor.ts";

const { values: flags } = parseArgs({
  options: {
    policies: { type: "string", default: "100000" },
    dates: { type: "string", default: "1" },
    chunk: { type: "string", default: String(RAW_FLOOR_DEFAULTS.chunkSize) },
    "in-flight": { type: "string", default: String(RAW_FLOOR_DEFAULTS.inFlight) },
    seed: { type: "string", default: "bench-daily-run-1" },
    compare: { type: "boolean", default: false },
  },
});

const t0 = performance.now();
const step = (m: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${m}`);
const POLICIES = Number(flags.policies);
const DATES = Number(flags.dates);
const main: PolicyGroup = {
  prefix: "m",
  size: POLICIES,
  year: 2025,
  dates: Array.from({ length: DATES }, (_, i) => addDays("2025-06-15", i)),
};
const warmup: PolicyGroup = {
  prefix: "w",
  size: Math.min(2_000, POLICIES),
  year: 2024,
  dates: ["2024-06-15"],
};
const settings = { chunkSize: Number(flags.chunk), inFlight: Number(flags["in-flight"]) };

/** The product's inputsHash of a sample of the date's ledger rows, from the stored rows. */
async function checkHashes(url: string, date: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<
      { hash: string; policy: Record<string, unknown>; events: RiskEvent[] }[]
    >`
      select l.inputs_hash as hash, json_build_object('id', p.id, 'region', p.region,
        'currency', p.currency, 'sumInsured', p.sum_insured, 'timezone', p.timezone,
        'coverageStart', p.coverage_start, 'coverageEnd', p.coverage_end,
        'payoutMode', p.payout_mode, 'tierPayoutsBps', json_build_object('tier1', p.tier1_bps,
          'tier2', p.tier2_bps, 'tier3', p.tier3_bps), 'periodCapBps', p.period_cap_bps)
        as policy,
      coalesce((select json_agg(json_build_object('id', e.id, 'region', e.region,
          'tier', e.tier, 'observedAt', to_char(e.observed_at at time zone 'UTC',
            'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'status', e.status, 'source', e.source))
        from risk_events e where e.region = p.region and (e.observed_at at time zone p.timezone)::date = l.claim_date), '[]') as events
      from calculation_ledger l join policies p on p.id = l.policy_id
      where l.claim_date = ${date} and (l.events_count > 0 or random() < 0.01)`;
    for (const r of rows) {
      const events = r.events.map((e) => (e.source === null ? { ...e, source: undefined } : e));
      const expected = inputsHash(r.policy as never, events as RiskEvent[]);
      if (expected !== r.hash) {
        throw new Error(`inputs hash of ${r.policy["id"]} on ${date} differs from inputsHash`);
      }
    }
    return rows.length;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function run(): Promise<void> {
  step(
    `raw floor alone: ${POLICIES} policies, ${DATES} date(s), chunk ${settings.chunkSize}, ` +
      `${settings.inFlight} in flight; ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} load`,
  );
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const rawDb = await createBenchDatabase("raw_floor_alone");
    cleanups.push(() => rawDb.drop());
    const coreDb = flags.compare ? await createBenchDatabase("raw_floor_alone_core") : null;
    if (coreDb) cleanups.push(() => coreDb.drop());
    const policies = [warmup, main].flatMap((g) => [...groupPolicies(g, flags.seed)]);
    const events = benchEvents([warmup, main], flags.seed);
    step(`load ${policies.length} policies, ${events.length} events`);
    await Promise.all(
      [rawDb, coreDb].flatMap((db) => db ? [loadBook(db.url, policies, events)] : []),
    );
    const redis = await leaseRedisDatabase();
    cleanups.push(() => redis.release());
    const raw = await createRawFloorRunner({
      databaseUrl: rawDb.url,
      redisUrl: redis.url,
      settings,
    });
    cleanups.push(() => raw.close());
    const config = loadConfig({ DATABASE_URL: coreDb?.url ?? rawDb.url, REDIS_URL: redis.url });
    const core = coreDb ? createFloorRunner(config, coreDb.url, floorSettingsOf(config)) : null;
    if (core) cleanups.push(() => core.close());

    await raw.run(warmup.dates[0]!);
    await core?.run(warmup.dates[0]!);
    for (const date of main.dates) {
      const probe = await startCpuProbe({
        pids: {},
        self: "bench",
        postgres: { url: rawDb.url, database: rawDb.name },
      });
      const r = await raw.run(date);
      const cpu = await probe.stop();
      step(
        `raw floor ${date}: ${Math.round((POLICIES / r.ms) * 1000)} policy-days/s ` +
          `(${Math.round(r.ms)} ms; ${r.totals.claims} claims; CPU ms ${JSON.stringify(cpu.ms)})`,
      );
      const sql = postgres(rawDb.url, { max: 1, onnotice: () => {} });
      const state = await dateState(sql, date).finally(() => sql.end({ timeout: 5 }));
      expectComplete(`raw floor ${date}`, state, POLICIES, r.totals);
      if (state.fenceMismatches > 0) throw new Error(`${state.fenceMismatches} fence mismatches`);
      step(`  complete; ${await checkHashes(rawDb.url, date)} inputs hashes equal inputsHash's`);
      if (core && coreDb) {
        const coreProbe = await startCpuProbe({
          pids: {},
          self: "bench",
          postgres: { url: coreDb.url, database: coreDb.name },
        });
        const c = await core.run(date);
        const coreCpu = await coreProbe.stop();
        step(
          `core floor ${date}: ${Math.round((POLICIES / c.ms) * 1000)} policy-days/s ` +
            `(${Math.round(c.ms)} ms; CPU ms ${JSON.stringify(coreCpu.ms)})`,
        );
        const coreSql = postgres(coreDb.url, { max: 1, onnotice: () => {} });
        const coreState = await dateState(coreSql, date).finally(() => coreSql.end({ timeout: 5 }));
        expectSameState(`the raw floor and the core floor on ${date}`, state, coreState);
        step(`  same claims (${state.claims}), ledger and audit rows (${state.auditRows})`);
      }
    }
    if (core && coreDb && main.dates.length > 1) {
      const date = main.dates[0]!;
      for (const db of [rawDb, coreDb]) {
        const sql = postgres(db.url, { max: 1, onnotice: () => {} });
        try {
          await sql`update risk_events set status = 'retracted'
            where id in (select id from risk_events where observed_at::date = ${date}
              order by id collate "C" limit 3)`;
          await sql`update risk_events set tier = 'tier3'
            where id in (select id from risk_events where observed_at::date = ${date}
              order by id collate "C" desc limit 3)`;
          await sql`insert into risk_events (id, region, tier, observed_at, status)
            select 'late-1', region, 'tier1', observed_at - interval '1 minute', 'active'
            from risk_events where observed_at::date = ${date} order by id collate "C" limit 1`;
        } finally {
          await sql.end({ timeout: 5 });
        }
      }
      await raw.run(date);
      await core.run(date);
      for (const d of main.dates) {
        const states = await Promise.all([rawDb, coreDb].map(async (db) => {
          const sql = postgres(db.url, { max: 1, onnotice: () => {} });
          return await dateState(sql, d).finally(() => sql.end({ timeout: 5 }));
        }));
        expectSameState(`after recomputing ${date}, the floors on ${d}`, states[0]!, states[1]!);
        step(
          `rerun of ${date}: same claims (${states[0]!.claims}), ledger and audit rows ` +
            `(${states[0]!.auditRows}) on ${d}`,
        );
      }
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => console.error(e));
  }
}

await run();
process.exit(0);
