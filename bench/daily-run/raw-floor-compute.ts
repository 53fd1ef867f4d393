/**
 * The in-memory part of the raw floor (raw-floor.ts): from the rows one chunk read, each
 * policy-day's candidates, inputs hash, ledger values and claim changes, as columns ready for
 * the UNNEST statements. Shares only the pure calculator (src/domain) with the product: what
 * the product plans through src/store and src/calc is rewritten here, so that a change there
 * cannot make the floor faster or slower.
 *
 * What it must reproduce exactly, because the benchmark compares the stored rows: SPEC §3
 * (candidates, canonical order, cap re-allocated over the policy's stored claims), the ledger
 * values (inputs hash of src/calc/inputs-hash.ts, counts, totals), and the audit trail (an
 * insert, update or delete row per changed claim, `reallocated` for other days).
 */
import { hash } from "node:crypto";
import { reallocate } from "../../src/domain/allocation.ts";
import { type Candidate, candidatesForDate, type DatedEvent } from "../../src/domain/candidates.ts";
import { compareIds } from "../../src/domain/order.ts";
import type { Policy, RiskEvent, Tier } from "../../src/domain/schemas.ts";
import type { ClaimContent } from "../../src/store/policy-day-plan-types.ts";
import { arrayLiteral, ChunkWrites } from "./raw-floor-columns.ts";

export interface PolicyRow {
  id: string;
  region: string;
  currency: string;
  sum_insured: number;
  timezone: string;
  coverage_start: string;
  coverage_end: string;
  payout_mode: string;
  tier1_bps: number;
  tier2_bps: number;
  tier3_bps: number;
  period_cap_bps: number;
}

export interface EventRow {
  id: string;
  region: string;
  tier: string;
  ms: number;
  status: string;
  source: string | null;
  value: number | null;
}

export interface StoredClaimRow {
  policy_id: string;
  claim_date: string;
  claim_key: string;
  tier: string;
  event_ids: string[];
  uncapped_bps: number;
  payout_bps: number;
  payout_amount: bigint;
  capped: boolean;
  first_ms: number;
}

function toPolicy(r: PolicyRow): Policy {
  return {
    id: r.id,
    region: r.region,
    currency: r.currency,
    sumInsured: r.sum_insured,
    timezone: r.timezone,
    coverageStart: r.coverage_start,
    coverageEnd: r.coverage_end,
    payoutMode: r.payout_mode as Policy["payoutMode"],
    tierPayoutsBps: { tier1: r.tier1_bps, tier2: r.tier2_bps, tier3: r.tier3_bps },
    periodCapBps: r.period_cap_bps,
  };
}

/** An event row as the calculator and the hash see it (the product's stored-event shape). */
function toDatedEvent(r: EventRow, claimDate: string): DatedEvent {
  const event: RiskEvent = {
    id: r.id,
    region: r.region,
    tier: r.tier as Tier,
    observedAt: new Date(r.ms).toISOString(),
    status: r.status as RiskEvent["status"],
  };
  if (r.source !== null) event.source = r.source;
  if (r.value !== null) event.value = r.value;
  return { event, instantMs: r.ms, claimDate };
}

const s = JSON.stringify;

function eventJson(e: RiskEvent): string {
  return `{"id":${s(e.id)},"observedAt":${s(e.observedAt)},"region":${s(e.region)}` +
    (e.source === undefined ? "" : `,"source":${s(e.source)}`) +
    `,"status":${s(e.status)},"tier":${s(e.tier)}` +
    (e.value === undefined ? "" : `,"value":${s(e.value)}`) + "}";
}

/**
 * src/calc/inputs-hash.ts's value (sha256 of the canonical JSON of the policy and the day's
 * events by id), with the key order written out: the generic canonical JSON costs three times
 * as much, a tenth of the floor's CPU. The benchmark checks the ledger rows against the
 * product's, hashes included, and raw-floor-alone.ts against inputsHash itself.
 */
export function inputsHashOf(p: Policy, dayEvents: readonly DatedEvent[]): string {
  const events = dayEvents.length < 2
    ? dayEvents
    : [...dayEvents].sort((a, b) => compareIds(a.event.id, b.event.id));
  const t = p.tierPayoutsBps;
  const text = `{"events":[${events.map((d) => eventJson(d.event)).join(",")}],"policy":{` +
    `"coverageEnd":${s(p.coverageEnd)},"coverageStart":${s(p.coverageStart)},` +
    `"currency":${s(p.currency)},"id":${s(p.id)},"payoutMode":${s(p.payoutMode)},` +
    `"periodCapBps":${p.periodCapBps},"region":${s(p.region)},"sumInsured":${p.sumInsured},` +
    `"tierPayoutsBps":{"tier1":${t.tier1},"tier2":${t.tier2},"tier3":${t.tier3}},` +
    `"timezone":${s(p.timezone)}}}`;
  return hash("sha256", text, "hex");
}

const sameContent = (a: ClaimContent, b: ClaimContent) =>
  a.tier === b.tier && a.uncappedBps === b.uncappedBps && a.payoutBps === b.payoutBps &&
  a.payoutAmount === b.payoutAmount && a.capped === b.capped &&
  a.firstObservedAtMs === b.firstObservedAtMs && a.eventIds.length === b.eventIds.length &&
  a.eventIds.every((id, i) => id === b.eventIds[i]);

function storedContent(r: StoredClaimRow): ClaimContent {
  return {
    claimDate: r.claim_date,
    claimKey: r.claim_key,
    tier: r.tier as Tier,
    eventIds: r.event_ids,
    uncappedBps: r.uncapped_bps,
    payoutBps: r.payout_bps,
    payoutAmount: r.payout_amount,
    capped: r.capped,
    firstObservedAtMs: r.first_ms,
  };
}

interface DayTotals {
  claims: number;
  capped: number;
  bps: number;
  amount: bigint;
}

function totalsOn(claims: Iterable<ClaimContent>, day: string): DayTotals {
  const t: DayTotals = { claims: 0, capped: 0, bps: 0, amount: 0n };
  for (const c of claims) {
    if (c.claimDate !== day) continue;
    t.claims++;
    if (c.capped) t.capped++;
    t.bps += c.payoutBps;
    t.amount += c.payoutAmount;
  }
  return t;
}

const NO_TOTALS: DayTotals = { claims: 0, capped: 0, bps: 0, amount: 0n };

export interface DayOutcome {
  totals: DayTotals;
  /** Claims of any day changed (the product's `computed` rather than `unchanged`). */
  changed: boolean;
}

/**
 * One policy-day into `out`: the ledger row always; for a policy with candidates or stored
 * claims on the day, the period cap re-allocated over its stored claims in coverage and the
 * net claim changes with their audit rows (SPEC §3 last paragraph, §4).
 */
export function planPolicyDay(
  policy: Policy,
  date: string,
  token: string,
  dayEvents: readonly DatedEvent[],
  stored: readonly StoredClaimRow[] | undefined,
  out: ChunkWrites,
): DayOutcome {
  const active = dayEvents.filter((d) => (d.event.status ?? "active") === "active");
  const candidates: Candidate[] = candidatesForDate(policy, date, active);
  let totals = NO_TOTALS;
  let changed = false;
  const storedOnDay = stored?.some((c) => c.claim_date === date) ?? false;
  if (candidates.length > 0 || storedOnDay) {
    const current = new Map<string, ClaimContent>();
    for (const row of stored ?? []) {
      current.set(`${row.claim_date} ${row.claim_key}`, storedContent(row));
    }
    const inCoverage = [...current.values()].filter((c) =>
      policy.coverageStart <= c.claimDate && c.claimDate <= policy.coverageEnd
    );
    const next = reallocate(policy, inCoverage, date, candidates);
    const changedDays = new Set<string>();
    const kept = new Set<string>();
    for (const a of next) {
      const key = `${a.claimDate} ${a.claimKey}`;
      kept.add(key);
      const content: ClaimContent = { ...a, payoutAmount: BigInt(a.payoutAmount) };
      const old = current.get(key);
      if (old && sameContent(old, content)) continue;
      changedDays.add(a.claimDate);
      current.set(key, content);
      upsert(out, policy.id, token, content);
      audit(out, policy.id, token, old ? "update" : "insert", old, content, date);
    }
    for (const [key, old] of current) {
      if (old.claimDate !== date || kept.has(key)) continue;
      changedDays.add(date);
      current.delete(key);
      const d = out.deletes;
      d.policyId.push(policy.id);
      d.claimDate.push(old.claimDate);
      d.claimKey.push(old.claimKey);
      d.token.push(token);
      audit(out, policy.id, token, "delete", old, undefined, date);
    }
    for (const day of changedDays) {
      const t = totalsOn(current.values(), day);
      const c = out.changedDays;
      c.policyId.push(policy.id);
      c.claimDate.push(day);
      c.token.push(token);
      c.claims.push(t.claims);
      c.capped.push(t.capped);
      c.bps.push(t.bps);
      c.amount.push(String(t.amount));
    }
    totals = totalsOn(current.values(), date);
    changed = changedDays.size > 0;
  }
  const l = out.ledger;
  l.policyId.push(policy.id);
  l.token.push(token);
  l.hash.push(inputsHashOf(policy, dayEvents));
  l.events.push(dayEvents.length);
  l.claims.push(totals.claims);
  l.capped.push(totals.capped);
  l.bps.push(totals.bps);
  l.amount.push(String(totals.amount));
  return { totals, changed };
}

function upsert(out: ChunkWrites, policyId: string, token: string, c: ClaimContent): void {
  const u = out.upserts;
  u.policyId.push(policyId);
  u.claimDate.push(c.claimDate);
  u.claimKey.push(c.claimKey);
  u.tier.push(c.tier);
  u.eventIds.push(arrayLiteral(c.eventIds));
  u.uncapped.push(c.uncappedBps);
  u.payout.push(c.payoutBps);
  u.amount.push(String(c.payoutAmount));
  u.capped.push(c.capped ? "t" : "f");
  u.firstAt.push(new Date(c.firstObservedAtMs).toISOString());
  u.token.push(token);
}

function audit(
  out: ChunkWrites,
  policyId: string,
  token: string,
  action: "insert" | "update" | "delete",
  old: ClaimContent | undefined,
  next: ClaimContent | undefined,
  computedDate: string,
): void {
  const a = out.audit;
  const c = (next ?? old)!;
  a.policyId.push(policyId);
  a.claimDate.push(c.claimDate);
  a.claimKey.push(c.claimKey);
  a.action.push(action);
  a.reason.push(
    action === "delete" ? "removed" : c.claimDate === computedDate ? "computed" : "reallocated",
  );
  a.oldTier.push(old?.tier ?? null);
  a.newTier.push(next?.tier ?? null);
  a.oldEventIds.push(old ? arrayLiteral(old.eventIds) : null);
  a.newEventIds.push(next ? arrayLiteral(next.eventIds) : null);
  a.oldUncapped.push(old?.uncappedBps ?? null);
  a.newUncapped.push(next?.uncappedBps ?? null);
  a.oldPayout.push(old?.payoutBps ?? null);
  a.newPayout.push(next?.payoutBps ?? null);
  a.oldAmount.push(old ? String(old.payoutAmount) : null);
  a.newAmount.push(next ? String(next.payoutAmount) : null);
  a.token.push(token);
}

export interface ChunkPlan {
  writes: ChunkWrites;
  /** Per computed policy: its day's totals and whether any claim changed. */
  outcomes: Map<string, DayOutcome>;
  /** Policies whose coverage no longer includes the date (nothing written). */
  skipped: number;
  /** Ids with no policy row any more (nothing written). */
  missing: number;
}

/**
 * A chunk's rows (locked policies, the events around the date, stored claims) into its writes:
 * each policy on its own local day, `bounds` giving the day's UTC interval in a timezone.
 */
export function planChunk(
  date: string,
  ids: readonly string[],
  tokens: readonly string[],
  policies: readonly PolicyRow[],
  events: readonly EventRow[],
  claims: readonly StoredClaimRow[],
  bounds: (timeZone: string) => { startMs: number; endMs: number },
): ChunkPlan {
  const byRegion = new Map<string, DatedEvent[]>();
  for (const row of events) {
    let list = byRegion.get(row.region);
    if (!list) byRegion.set(row.region, list = []);
    list.push(toDatedEvent(row, date));
  }
  const claimsOf = new Map<string, StoredClaimRow[]>();
  for (const row of claims) {
    let list = claimsOf.get(row.policy_id);
    if (!list) claimsOf.set(row.policy_id, list = []);
    list.push(row);
  }
  const tokenOf = new Map(ids.map((id, i) => [id, tokens[i]!]));
  const plan: ChunkPlan = {
    writes: new ChunkWrites(),
    outcomes: new Map(),
    skipped: 0,
    missing: ids.length - policies.length,
  };
  for (const row of policies) {
    const policy = toPolicy(row);
    if (date < policy.coverageStart || date > policy.coverageEnd) {
      plan.skipped++;
      continue;
    }
    const { startMs, endMs } = bounds(policy.timezone);
    const day = (byRegion.get(policy.region) ?? []).filter((d) =>
      d.instantMs >= startMs && d.instantMs < endMs
    );
    const token = tokenOf.get(policy.id)!;
    plan.outcomes.set(
      policy.id,
      planPolicyDay(policy, date, token, day, claimsOf.get(policy.id), plan.writes),
    );
  }
  return plan;
}
