/**
 * The raw floor's statements (raw-floor.ts), postgres.js tagged templates: each has one SQL
 * text whatever the row count (rows travel as UNNEST columns), so postgres.js prepares it once
 * per connection and afterwards pipelines Bind/Execute only. A chunk is two round trips:
 *
 *   read   BEGIN; policies FOR UPDATE in id order; the events of their regions around the
 *          date; their stored claims                                   (one pipeline)
 *   write  ledger upsert (fence-checked); claim upserts, deletes, audit, changed days' ledger
 *          totals, each only for days whose ledger row now carries this write's token; COMMIT
 *
 * Every column travels as one array literal (raw-floor-columns.ts), cast in SQL.
 *
 * The fence check lives in the ledger upsert (DO UPDATE … WHERE token >= stored) and every
 * claim statement follows it: a stale write changes nothing, as in the product, without a read
 * of the ledger first.
 */
import type postgres from "postgres";
import { arrayLiteral, type ChunkWrites, literals } from "./raw-floor-columns.ts";
import type { EventRow, PolicyRow, StoredClaimRow } from "./raw-floor-compute.ts";

type Conn = postgres.ReservedSql;
type Pending<T> = Promise<T>;

/** A read in flight: sent now (execute), in the order of the calls. */
const sent = <T>(q: postgres.PendingQuery<postgres.Row[]>) => q.execute() as unknown as Pending<T>;

/** Every policy covering the date, in id order (COLLATE "C"): the run's whole list at once. */
export const coveringIds = (sql: postgres.Sql, date: string) =>
  sql<{ id: string }[]>`
    select id from policies where coverage_start <= ${date}::date and coverage_end >= ${date}::date
    order by id`;

export function readChunk(c: Conn, ids: readonly string[], date: string) {
  const idList = arrayLiteral(ids);
  const begun = sent(c`begin`);
  // The Sort runs below LockRows: rows are locked in id order (COLLATE "C"), so chunks that
  // overlap another writer's never deadlock.
  const policies = sent<PolicyRow[]>(c`
    select p.id, p.region, p.currency, p.sum_insured::float8 as sum_insured, p.timezone,
      p.coverage_start::text as coverage_start, p.coverage_end::text as coverage_end,
      p.payout_mode, p.tier1_bps, p.tier2_bps, p.tier3_bps, p.period_cap_bps
    from policies p where p.id = any(${idList}::text[])
    order by p.id for update`);
  // Every zone's local day lies within the UTC day before to the day after; the exact local
  // day is cut in JS. Regions: those of the chunk's id range (ids are consecutive covering ids).
  const events = sent<EventRow[]>(c`
    select e.id, e.region, e.tier, (extract(epoch from e.observed_at) * 1000)::float8 as ms,
      e.status, e.source, e.value
    from risk_events e
    where e.observed_at >= (${date}::date - 1)::timestamp at time zone 'UTC'
      and e.observed_at < (${date}::date + 2)::timestamp at time zone 'UTC'
      and e.region in (select p.region from policies p
        where p.id >= ${ids[0]!} and p.id <= ${ids[ids.length - 1]!})
    order by e.observed_at, e.id`);
  const claims = sent<StoredClaimRow[]>(c`
    select c.policy_id, c.claim_date::text as claim_date, c.claim_key, c.tier, c.event_ids,
      c.uncapped_bps, c.payout_bps, c.payout_amount, c.capped,
      (extract(epoch from c.first_observed_at) * 1000)::float8 as first_ms
    from unnest(${idList}::text[]) as u(id)
    join claims c on c.policy_id = u.id collate "C"`);
  return { begun, policies, events, claims };
}

/** The gate of every claim statement: the day's ledger row carries this write's token. */
const accepted = (c: Conn, date: string) =>
  c`exists (select 1 from calculation_ledger g where g.policy_id = u.policy_id collate "C"
    and g.claim_date = ${date}::date and g.fence_token = u.token)`;

export function writeChunk(
  c: Conn,
  date: string,
  w: ChunkWrites,
  calculatorVersion: string,
  writtenBy: string,
) {
  const l = literals(w.ledger);
  const ledger = sent<{ policy_id: string; computations: number }[]>(c`
    insert into calculation_ledger as l (policy_id, claim_date, fence_token, inputs_hash,
      calculator_version, events_count, claims_count, capped_count, payout_bps_total,
      payout_amount_total, computations, written_by, computed_at, changed_at)
    select u.policy_id, ${date}::date, u.token, u.hash, ${calculatorVersion}, u.events,
      u.claims, u.capped, u.bps, u.amount, 1, ${writtenBy}, statement_timestamp(),
      statement_timestamp()
    from unnest(${l.policyId}::text[], ${l.token}::int8[], ${l.hash}::text[],
      ${l.events}::int4[], ${l.claims}::int4[], ${l.capped}::int4[], ${l.bps}::int4[],
      ${l.amount}::int8[]) as u(policy_id, token, hash, events, claims, capped, bps, amount)
    on conflict (policy_id, claim_date) do update set
      fence_token = excluded.fence_token, inputs_hash = excluded.inputs_hash,
      calculator_version = excluded.calculator_version, events_count = excluded.events_count,
      claims_count = excluded.claims_count, capped_count = excluded.capped_count,
      payout_bps_total = excluded.payout_bps_total,
      payout_amount_total = excluded.payout_amount_total, computations = l.computations + 1,
      written_by = excluded.written_by, computed_at = excluded.computed_at
    where excluded.fence_token >= l.fence_token
    returning l.policy_id, l.computations`);
  const writes: Pending<unknown>[] = [ledger];
  const u = literals(w.upserts);
  if (w.upserts.policyId.length > 0) {
    writes.push(sent(c`
      insert into claims (policy_id, claim_date, claim_key, tier, event_ids, uncapped_bps,
        payout_bps, payout_amount, capped, first_observed_at, fence_token, calculator_version,
        created_at, updated_at)
      select u.policy_id, u.claim_date, u.claim_key, u.tier, u.event_ids::text[], u.uncapped,
        u.payout, u.amount, u.capped, u.first_at, u.token, ${calculatorVersion},
        statement_timestamp(), statement_timestamp()
      from unnest(${u.policyId}::text[], ${u.claimDate}::date[], ${u.claimKey}::text[],
        ${u.tier}::text[], ${u.eventIds}::text[], ${u.uncapped}::int4[], ${u.payout}::int4[],
        ${u.amount}::int8[], ${u.capped}::bool[], ${u.firstAt}::timestamptz[],
        ${u.token}::int8[]) as u(policy_id, claim_date, claim_key, tier, event_ids, uncapped,
          payout, amount, capped, first_at, token)
      where ${accepted(c, date)}
      on conflict (policy_id, claim_date, claim_key) do update set
        tier = excluded.tier, event_ids = excluded.event_ids,
        uncapped_bps = excluded.uncapped_bps, payout_bps = excluded.payout_bps,
        payout_amount = excluded.payout_amount, capped = excluded.capped,
        first_observed_at = excluded.first_observed_at, fence_token = excluded.fence_token,
        calculator_version = excluded.calculator_version, updated_at = excluded.updated_at`));
  }
  const d = literals(w.deletes);
  if (w.deletes.policyId.length > 0) {
    writes.push(sent(c`
      delete from claims k using unnest(${d.policyId}::text[], ${d.claimDate}::date[],
        ${d.claimKey}::text[], ${d.token}::int8[]) as u(policy_id, claim_date, claim_key, token)
      where k.policy_id = u.policy_id collate "C" and k.claim_date = u.claim_date
        and k.claim_key = u.claim_key collate "C" and ${accepted(c, date)}`));
  }
  const a = literals(w.audit);
  if (w.audit.policyId.length > 0) {
    writes.push(sent(c`
      insert into claim_audit (policy_id, claim_date, claim_key, action, reason, computed_date,
        old_tier, new_tier, old_event_ids, new_event_ids, old_uncapped_bps, new_uncapped_bps,
        old_payout_bps, new_payout_bps, old_payout_amount, new_payout_amount, fence_token,
        calculator_version, written_by, at)
      select u.policy_id, u.claim_date, u.claim_key, u.action, u.reason, ${date}::date,
        u.old_tier, u.new_tier, u.old_ids::text[], u.new_ids::text[], u.old_unc, u.new_unc,
        u.old_pay, u.new_pay, u.old_amt, u.new_amt, u.token, ${calculatorVersion},
        ${writtenBy}, statement_timestamp()
      from unnest(${a.policyId}::text[], ${a.claimDate}::date[], ${a.claimKey}::text[],
        ${a.action}::text[], ${a.reason}::text[], ${a.oldTier}::text[], ${a.newTier}::text[],
        ${a.oldEventIds}::text[], ${a.newEventIds}::text[], ${a.oldUncapped}::int4[],
        ${a.newUncapped}::int4[], ${a.oldPayout}::int4[], ${a.newPayout}::int4[],
        ${a.oldAmount}::int8[], ${a.newAmount}::int8[], ${a.token}::int8[])
        as u(policy_id, claim_date, claim_key, action, reason, old_tier, new_tier, old_ids,
          new_ids, old_unc, new_unc, old_pay, new_pay, old_amt, new_amt, token)
      where ${accepted(c, date)}`));
  }
  const x = literals(w.changedDays);
  if (w.changedDays.policyId.length > 0) {
    // Re-allocated days keep their provenance, their totals follow their claims; the computed
    // day got its totals from the upsert and needs only `changed_at`, unless it is new.
    writes.push(sent(c`
      update calculation_ledger t set claims_count = u.claims, capped_count = u.capped,
        payout_bps_total = u.bps, payout_amount_total = u.amount,
        changed_at = statement_timestamp()
      from unnest(${x.policyId}::text[], ${x.claimDate}::date[], ${x.token}::int8[],
        ${x.claims}::int4[], ${x.capped}::int4[], ${x.bps}::int4[], ${x.amount}::int8[])
        as u(policy_id, claim_date, token, claims, capped, bps, amount)
      where t.policy_id = u.policy_id collate "C" and t.claim_date = u.claim_date
        and (u.claim_date <> ${date}::date or t.computations > 1) and ${accepted(c, date)}`));
  }
  writes.push(sent(c`commit`));
  return { ledger, done: Promise.all(writes) };
}
