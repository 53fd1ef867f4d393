/**
 * The SQL of the PostgreSQL lock backend. Acquisition is ONE statement per call: it tries the
 * advisory lock and, only if that succeeded, advances the key's fencing token, so a token is
 * never issued without the lock and an acquisition costs one round trip.
 *
 * Fencing rule (the same as the Redis backend): token = greatest(previous + 1, now in µs),
 * upserted atomically into lock_fences. The clock term keeps tokens above anything the Redis
 * backend issued before a backend switch.
 *
 * The lock session runs with synchronous_commit off (session.ts sets it when it connects): an
 * acquisition does not wait for the WAL flush, which is most of the cost of a tiny write (5x
 * here). That is safe because of the clock term: if a crash loses the last fence updates, the
 * next token is still "now in µs", above every token issued before the crash; and any claim
 * written with such a token was committed synchronously later in the WAL, which makes the
 * fence update before it durable too.
 */
import type { Sql } from "../../store/connection.ts";

/**
 * Token and time as text: exact, and the same whatever type parsers the connection has (a
 * caller's pool or transaction may parse int8 and timestamptz differently).
 */
export interface FenceRow {
  key: string;
  token: string;
  acquired_ms: string;
}

/**
 * Tries one lock on the session; the fence row when acquired, none when held elsewhere.
 * The try-lock is a one-time filter of a one-row select, so it runs exactly once, and the
 * upsert only sees a row when it succeeded. $1 key, $2 lock id, $3 holder. (Exported as text
 * for bench/locks.ts, which times it on the server with EXPLAIN ANALYZE.)
 */
export const TRY_LOCK_ONE_SQL = `
    insert into lock_fences as f (key, lock_id, token, holder, acquired_at, updated_at)
    select $1::text, $2::bigint, (extract(epoch from t.now) * 1000000)::bigint, $3::text,
           t.now, t.now
    from (select clock_timestamp() as now) as t
    where pg_try_advisory_lock($2::bigint)
    on conflict (key) do update set
      token = greatest(f.token + 1, excluded.token),
      lock_id = excluded.lock_id,
      holder = excluded.holder,
      acquired_at = excluded.acquired_at,
      updated_at = excluded.updated_at
    returning f.key, f.token::text as token,
              floor(extract(epoch from f.acquired_at) * 1000)::int8::text as acquired_ms`;

/** Releases one lock of the session: $1 lock id. */
export const UNLOCK_ONE_SQL = "select pg_advisory_unlock($1::bigint) as released";

export function tryLockOne(
  sql: Sql,
  key: string,
  lockId: bigint,
  holder: string,
): Promise<FenceRow[]> {
  // prepare: postgres.js prepares tagged templates, not unsafe() text, unless asked; unprepared,
  // every acquisition would wait for an extra Parse/Describe round trip.
  return sql.unsafe<FenceRow[]>(TRY_LOCK_ONE_SQL, [key, lockId.toString(), holder], {
    prepare: true,
  });
}

/**
 * Tries many locks in one statement (one round trip); fence rows of those acquired. `floors`
 * (one per key, '0' for none) raise a key's token to at least its floor (AcquireOptions
 * .minTokens); null when no key has one.
 */
export function tryLockMany(
  sql: Sql,
  keys: readonly string[],
  lockIds: readonly bigint[],
  holder: string,
  floors: readonly string[] | null = null,
): Promise<FenceRow[]> {
  const floorList = floors ?? keys.map(() => "0");
  return sql<FenceRow[]>`
    insert into lock_fences as f (key, lock_id, token, holder, acquired_at, updated_at)
    select t.key, t.lock_id,
           greatest((extract(epoch from t.now) * 1000000)::bigint, t.floor), ${holder},
           t.now, t.now
    from (
      select u.key, u.lock_id, u.floor, clock_timestamp() as now
      from unnest(${keys as string[]}::text[], ${lockIds.map(String)}::bigint[],
                  ${floorList as string[]}::bigint[]) as u(key, lock_id, floor)
    ) as t
    where pg_try_advisory_lock(t.lock_id)
    on conflict (key) do update set
      token = greatest(f.token + 1, excluded.token),
      lock_id = excluded.lock_id,
      holder = excluded.holder,
      acquired_at = excluded.acquired_at,
      updated_at = excluded.updated_at
    returning f.key, f.token::text as token,
              floor(extract(epoch from f.acquired_at) * 1000)::int8::text as acquired_ms`;
}

/** Unlocks ids on the session, one result per id in order (false: this session did not hold it). */
export async function unlockMany(sql: Sql, lockIds: readonly bigint[]): Promise<boolean[]> {
  if (lockIds.length === 1) {
    const rows = await sql.unsafe<{ released: boolean }[]>(
      UNLOCK_ONE_SQL,
      [lockIds[0]!.toString()],
      { prepare: true },
    );
    return [rows[0]?.released === true];
  }
  const rows = await sql<{ released: boolean }[]>`
    select pg_advisory_unlock(t.id) as released
    from unnest(${lockIds.map(String)}::bigint[]) with ordinality as t(id, n)
    order by t.n`;
  return rows.map((row) => row.released === true);
}

/** The advisory lock ids (single-bigint form) this session holds now. */
export async function heldBySession(sql: Sql): Promise<Set<bigint>> {
  const rows = await sql<{ lock_id: bigint }[]>`
    select (l.classid::bigint << 32) | l.objid::bigint as lock_id
    from pg_locks l
    where l.locktype = 'advisory' and l.objsubid = 1 and l.granted
      and l.pid = pg_backend_pid()`;
  return new Set(rows.map((row) => BigInt(row.lock_id)));
}

/** Whether anyone holds the id in the current database (session or transaction lock). */
export async function isLockIdHeld(sql: Sql, lockId: bigint): Promise<boolean> {
  const rows = await sql<{ held: boolean }[]>`
    select exists (
      select 1 from pg_locks l
      where l.locktype = 'advisory' and l.objsubid = 1 and l.granted
        and l.database = (select oid from pg_database where datname = current_database())
        and (l.classid::bigint << 32) | l.objid::bigint = ${lockId.toString()}::bigint
    ) as held`;
  return rows[0]?.held === true;
}
