/**
 * Transaction-scoped advisory locks, taken inside a caller's transaction and released by its
 * commit or rollback (no unlock, nothing to leak). The fencing token is advanced in the same
 * statement and the same transaction: a rolled-back attempt leaves no trace, a committed one
 * leaves the token it wrote with.
 *
 * Until the transaction commits, other sessions do not see its fence row, so `claims locks`
 * shows such a lock by id (`advisory:<lockId>`) or under the key's previous acquisition.
 *
 * `tx` must be a transaction (postgres.js `sql.begin(tx => …)` or a reserved connection inside
 * BEGIN): on an autocommit pool the lock would end with the statement that took it.
 */
import type postgres from "postgres";
import { assertHolder, holderId } from "../holder.ts";
import { assertLockKey } from "../keys.ts";
import { pgLockFailure } from "./failure.ts";
import { lockIdOf } from "./lock-id.ts";
import type { FenceRow } from "./statements.ts";

export interface XactLock {
  key: string;
  lockId: bigint;
  fencingToken: bigint;
  /** Epoch ms of the acquisition. */
  acquiredAt: number;
}

/** The lock for the rest of `tx`, or null at once when another session or transaction holds it. */
export async function tryXactLock(
  tx: postgres.ISql,
  key: string,
  options: { holder?: string } = {},
): Promise<XactLock | null> {
  assertLockKey(key);
  const holder = options.holder ?? holderId();
  assertHolder(holder);
  const lockId = lockIdOf(key);
  let rows: FenceRow[];
  try {
    const id = lockId.toString();
    rows = await tx<FenceRow[]>`
      insert into lock_fences as f (key, lock_id, token, holder, acquired_at, updated_at)
      select ${key}, ${id}::bigint, (extract(epoch from t.now) * 1000000)::bigint, ${holder},
             t.now, t.now
      from (select clock_timestamp() as now) as t
      where pg_try_advisory_xact_lock(${id}::bigint)
      on conflict (key) do update set
        token = greatest(f.token + 1, excluded.token),
        lock_id = excluded.lock_id,
        holder = excluded.holder,
        acquired_at = excluded.acquired_at,
        updated_at = excluded.updated_at
      returning f.key, f.token::text as token,
                floor(extract(epoch from f.acquired_at) * 1000)::int8::text as acquired_ms`;
  } catch (error) {
    throw pgLockFailure("take the transaction lock", [key], error);
  }
  const row = rows[0];
  if (!row) return null;
  return {
    key,
    lockId,
    fencingToken: BigInt(row.token),
    acquiredAt: Number(row.acquired_ms),
  };
}
