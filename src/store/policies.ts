/**
 * Policies: bulk idempotent upsert by id (imports, seed) and loading by id.
 */
import { asc, sql } from "drizzle-orm";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import type { Policy } from "../domain/schemas.ts";
import type { Db, Executor } from "./connection.ts";
import {
  columnsToPolicy,
  policies,
  type PolicyColumns,
  policyFields,
  rowToPolicy,
} from "./schema/policies.ts";
import { chunks } from "./chunks.ts";
import { type UnnestColumn, unnestColumn as col, unnestSelectFor } from "./unnest.ts";
import { storageError } from "./storage-errors.ts";
import { inTextList, textArrayLiteral } from "./unnest.ts";
import { differsFromExcluded, setFromExcluded, wasInserted } from "./upsert-sql.ts";
import { requireUniqueIds, type UpsertCounts } from "./upsert-counts.ts";

export interface PolicyUpsertResult extends UpsertCounts {
  /** Ids of the policies that did not exist before, ascending. */
  insertedIds: string[];
  /** Ids of the existing policies whose stored values changed, ascending. */
  updatedIds: string[];
}

export interface UpsertOptions {
  /** Rows per INSERT statement (default 10,000; a statement has a dozen parameters whatever its size). */
  chunkSize?: number;
}

function policyColumns(rows: readonly Policy[]): UnnestColumn[] {
  return [
    col.id("id", rows.map((p) => p.id)),
    col.text("region", rows.map((p) => p.region)),
    col.text("currency", rows.map((p) => p.currency)),
    col.int8("sum_insured", rows.map((p) => p.sumInsured)),
    col.text("timezone", rows.map((p) => p.timezone)),
    col.date("coverage_start", rows.map((p) => p.coverageStart)),
    col.date("coverage_end", rows.map((p) => p.coverageEnd)),
    col.text("payout_mode", rows.map((p) => p.payoutMode)),
    col.int4("tier1_bps", rows.map((p) => p.tierPayoutsBps.tier1)),
    col.int4("tier2_bps", rows.map((p) => p.tierPayoutsBps.tier2)),
    col.int4("tier3_bps", rows.map((p) => p.tierPayoutsBps.tier3)),
    col.int4("period_cap_bps", rows.map((p) => p.periodCapBps)),
  ];
}

const POLICY_VALUE_COLUMNS = [
  "region",
  "currency",
  "sumInsured",
  "timezone",
  "coverageStart",
  "coverageEnd",
  "payoutMode",
  "tier1Bps",
  "tier2Bps",
  "tier3Bps",
  "periodCapBps",
] as const;

/**
 * Inserts new policies and updates changed ones, by id, in one transaction (all or nothing),
 * with multi-row statements. A row identical to the stored one is not written (`unchanged`).
 * Rows go in id order, so concurrent upserts and the write path (which locks policies in id
 * order too) never deadlock. Duplicate ids in `input` are an INPUT_INVALID error. Given an open
 * transaction instead of the pool handle, it runs inside it (as a savepoint).
 */
export async function upsertPolicies(
  db: Executor,
  input: readonly Policy[],
  options: UpsertOptions = {},
): Promise<PolicyUpsertResult> {
  requireUniqueIds(input, "policy");
  const result: PolicyUpsertResult = {
    inserted: 0,
    updated: 0,
    unchanged: 0,
    insertedIds: [],
    updatedIds: [],
  };
  if (input.length === 0) return result;
  const rows = [...input].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const now = sql`statement_timestamp()`;
  try {
    await db.transaction(async (tx) => {
      for (const chunk of chunks(rows, options.chunkSize ?? 10_000)) {
        const select = unnestSelectFor(policies, policyColumns(chunk), {
          createdAt: now,
          updatedAt: now,
        });
        const written = await tx.insert(policies).select(select).onConflictDoUpdate({
          target: policies.id,
          set: {
            ...setFromExcluded(policies, POLICY_VALUE_COLUMNS),
            updatedAt: now,
          },
          setWhere: differsFromExcluded(policies, POLICY_VALUE_COLUMNS),
        }).returning({ id: policies.id, inserted: wasInserted });
        for (const row of written) {
          if (row.inserted) result.insertedIds.push(row.id);
          else result.updatedIds.push(row.id);
        }
        result.unchanged += chunk.length - written.length;
      }
    });
  } catch (error) {
    throw storageError(`upserting ${input.length} policies`, error);
  }
  result.inserted = result.insertedIds.length;
  result.updated = result.updatedIds.length;
  return result;
}

/** The policy with this id, or null. */
export async function loadPolicy(db: Executor, id: string): Promise<Policy | null> {
  const found = await loadPolicies(db, [id]);
  return found.get(id) ?? null;
}

/** The policies among `ids` that exist, by id (absent ids are simply missing from the map). */
export async function loadPolicies(
  db: Executor,
  ids: readonly string[],
): Promise<Map<string, Policy>> {
  const out = new Map<string, Policy>();
  if (ids.length === 0) return out;
  try {
    for (const chunk of chunks([...new Set(ids)], 5000)) {
      const rows = await db.select(policyFields).from(policies).where(
        inTextList(policies.id, chunk),
      )
        .orderBy(asc(policies.id));
      for (const row of rows) out.set(row.id, rowToPolicy(row));
    }
  } catch (error) {
    throw storageError(`loading ${ids.length} policies`, error);
  }
  return out;
}

/**
 * A policy as a computation read it, with its row version: PostgreSQL's `xmin`, the id of the
 * transaction that wrote this version of the row. Any update of the row (a re-import) makes a
 * new version, while a row lock (`FOR UPDATE`) does not; so equal versions mean the row is
 * still exactly what was read.
 */
export interface VersionedPolicy {
  policy: Policy;
  version: string;
}

/** Selected with a policy: its row version (see VersionedPolicy). */
export const policyVersion = sql<string>`${policies}.xmin::text`;

interface VersionedPolicyRow extends PolicyColumns {
  version: string;
}

/**
 * loadPolicies with each row's version, for the calculation path (its write checks the
 * versions under the row locks instead of reading the rows again). At most a chunk of ids a
 * call.
 *
 * The daily run's hottest read (a chunk of policies per transaction), so it is sent through the
 * driver Drizzle wraps (`db.$client`), as a statement postgres.js prepares once per connection:
 * the driver builds each row's object itself, where Drizzle's generic per-field mapping of a
 * dozen columns was a tenth of the worker's allocations. Text casts keep the values independent
 * of the client's type parsers; the columns are the table's, named in policies.ts.
 */
export async function loadVersionedPolicies(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, VersionedPolicy>> {
  const out = new Map<string, VersionedPolicy>();
  if (ids.length === 0) return out;
  try {
    const rows = await db.$client<VersionedPolicyRow[]>`
      select id, region, currency, sum_insured::text as sum_insured, timezone,
        coverage_start::text as coverage_start, coverage_end::text as coverage_end, payout_mode,
        tier1_bps, tier2_bps, tier3_bps, period_cap_bps, xmin::text as version
      from policies where id = any(${textArrayLiteral([...new Set(ids)])}::text[])
      order by id`;
    for (const r of rows) out.set(r.id, { policy: columnsToPolicy(r), version: r.version });
  } catch (error) {
    throw storageError(`loading ${ids.length} policies`, error);
  }
  return out;
}

/** The POLICY_NOT_FOUND error naming the first missing ids (at most 10) and how many in all. */
export function policiesNotFound(missing: readonly string[]): ClaimsError {
  const shown = missing.slice(0, 10).map((id) => `"${id}"`).join(", ");
  const more = missing.length > 10 ? ` and ${missing.length - 10} more` : "";
  return new ClaimsError(
    ErrorCodes.POLICY_NOT_FOUND,
    `policy ${shown}${more} not found: import the polic${
      missing.length === 1 ? "y" : "ies"
    } first (claims policies import FILE)`,
  );
}
