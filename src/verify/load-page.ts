/**
 * Reads what `verify` needs, a page of policies at a time, through an SQL cursor inside one
 * read-only repeatable-read transaction: every page sees the same snapshot, and memory holds
 * one page (its policies, their claims and ledger rows, their regions' events) at a time.
 *
 * Instants and dates leave PostgreSQL as numbers and text: the Drizzle driver shares this
 * postgres.js client and turns its timestamp parsing off.
 */
import type postgres from "postgres";
import { addDays } from "../domain/calendar.ts";
import { type PreparedEvents, prepareEvents } from "../domain/prepared-events.ts";
import type { Policy, RiskEvent } from "../domain/schemas.ts";
import { columnsToPolicy, type PolicyColumns } from "../store/schema/policies.ts";
import type { DateRange, StoredClaim, StoredEvent, StoredLedgerDay } from "./check-policy.ts";

export type Tx = postgres.TransactionSql;

const CURSOR = "claims_verify_policies";

/**
 * Pages of policies ordered by region, then id (so consecutive pages share a region and its
 * events), only those whose coverage overlaps the range when one is given.
 */
export async function* policyPages(
  tx: Tx,
  pageSize: number,
  range?: DateRange,
): AsyncGenerator<Policy[]> {
  const from = range?.from ?? null;
  const to = range?.to ?? null;
  await tx`
    declare ${tx(CURSOR)} no scroll cursor for
    select id, region, currency, sum_insured, timezone,
           coverage_start::text as coverage_start, coverage_end::text as coverage_end,
           payout_mode, tier1_bps, tier2_bps, tier3_bps, period_cap_bps
    from policies
    where (${to}::date is null or coverage_start <= ${to}::date)
      and (${from}::date is null or coverage_end >= ${from}::date)
    order by region collate "C", id`;
  try {
    for (;;) {
      const rows = await tx.unsafe<PolicyColumns[]>(`fetch forward ${pageSize} from ${CURSOR}`);
      if (rows.length === 0) return;
      yield rows.map(columnsToPolicy);
    }
  } finally {
    await tx.unsafe(`close ${CURSOR}`);
  }
}

interface RegionEvents {
  /** UTC dates [lo, hi) the cached events cover. */
  lo: string;
  hi: string;
  /** Parsed and ordered once for every policy of the region (the domain's prepared form). */
  prepared: PreparedEvents;
  changedAtUs: Map<RiskEvent, number>;
}

/** The events of one region, ready for checkPolicy. */
export interface PageEvents {
  prepared: PreparedEvents;
  changedAtUs: ReadonlyMap<RiskEvent, number>;
}

/**
 * The events of each region for the UTC window that covers the policies' local days (a local
 * day starts at most 14 h before and ends at most 12 h after the UTC day). A region's events
 * stay cached while the next page's window lies inside the loaded one.
 */
export class RegionEventCache {
  #cache = new Map<string, RegionEvents>();
  constructor(private readonly tx: Tx) {}

  async eventsFor(policies: readonly Policy[]): Promise<Map<string, PageEvents>> {
    const windows = new Map<string, { lo: string; hi: string }>();
    for (const p of policies) {
      const lo = addDays(p.coverageStart, -1);
      const hi = addDays(p.coverageEnd, 2);
      const w = windows.get(p.region);
      if (!w) windows.set(p.region, { lo, hi });
      else {
        if (lo < w.lo) w.lo = lo;
        if (hi > w.hi) w.hi = hi;
      }
    }
    const next = new Map<string, RegionEvents>();
    for (const [region, w] of windows) {
      const cached = this.#cache.get(region);
      if (cached && cached.lo <= w.lo && w.hi <= cached.hi) next.set(region, cached);
      else {
        // Reload the union, so that pages of one region with scattered windows load it rarely.
        const lo = cached && cached.lo < w.lo ? cached.lo : w.lo;
        const hi = cached && cached.hi > w.hi ? cached.hi : w.hi;
        const stored = await this.#load(region, lo, hi);
        next.set(region, {
          lo,
          hi,
          prepared: prepareEvents(stored.map((e) => e.event), region),
          changedAtUs: new Map(stored.map((e) => [e.event, e.changedAtUs])),
        });
      }
    }
    // Pages come in region order: a region not on this page does not come back.
    this.#cache = next;
    return new Map([...next].map(([region, entry]) => [region, entry]));
  }

  async #load(region: string, lo: string, hi: string): Promise<StoredEvent[]> {
    const rows = await this.tx<
      {
        id: string;
        region: string;
        tier: string;
        observed_ms: string;
        status: string;
        source: string | null;
        value: number | null;
        changed_us: string;
      }[]
    >`
      select id, region, tier, status, source, value,
             (extract(epoch from observed_at) * 1000)::int8::text as observed_ms,
             (extract(epoch from greatest(received_at, updated_at)) * 1000000)::bigint::text
               as changed_us
      from risk_events
      where region = ${region}
        and observed_at >= ${lo}::date::timestamp at time zone 'UTC'
        and observed_at < ${hi}::date::timestamp at time zone 'UTC'`;
    return rows.map((r) => {
      const event: RiskEvent = {
        id: r.id,
        region: r.region,
        tier: r.tier as RiskEvent["tier"],
        observedAt: new Date(Number(r.observed_ms)).toISOString(),
        status: r.status as RiskEvent["status"],
      };
      if (r.source !== null) event.source = r.source;
      if (r.value !== null) event.value = r.value;
      return { event, changedAtUs: Number(r.changed_us) };
    });
  }
}

export async function claimsOf(
  tx: Tx,
  policyIds: readonly string[],
): Promise<Map<string, StoredClaim[]>> {
  const rows = await tx<
    {
      policy_id: string;
      claim_date: string;
      claim_key: string;
      tier: string;
      event_ids: string[];
      uncapped_bps: number;
      payout_bps: number;
      capped: boolean;
      payout_amount: bigint;
    }[]
  >`
    select policy_id, claim_date::text as claim_date, claim_key, tier, event_ids,
           uncapped_bps, payout_bps, capped, payout_amount
    from claims
    where policy_id = any(${policyIds as string[]}::text[])`;
  const out = new Map<string, StoredClaim[]>();
  for (const r of rows) {
    let list = out.get(r.policy_id);
    if (!list) out.set(r.policy_id, list = []);
    list.push({
      claimDate: r.claim_date,
      claimKey: r.claim_key,
      tier: r.tier,
      eventIds: r.event_ids,
      uncappedBps: r.uncapped_bps,
      payoutBps: r.payout_bps,
      capped: r.capped,
      payoutAmount: BigInt(r.payout_amount),
    });
  }
  return out;
}

export async function ledgerOf(
  tx: Tx,
  policyIds: readonly string[],
): Promise<Map<string, StoredLedgerDay[]>> {
  const rows = await tx<
    { policy_id: string; claim_date: string; computed_us: string; claims_count: number }[]
  >`
    select policy_id, claim_date::text as claim_date, claims_count,
           (extract(epoch from computed_at) * 1000000)::bigint::text as computed_us
    from calculation_ledger
    where policy_id = any(${policyIds as string[]}::text[])`;
  const out = new Map<string, StoredLedgerDay[]>();
  for (const r of rows) {
    let list = out.get(r.policy_id);
    if (!list) out.set(r.policy_id, list = []);
    list.push({
      claimDate: r.claim_date,
      computedAtUs: Number(r.computed_us),
      claimsCount: r.claims_count,
    });
  }
  return out;
}
