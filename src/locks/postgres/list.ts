/**
 * The PostgreSQL advisory locks held now in the current database, for operators: pg_locks
 * joined back to key names through lock_fences (the latest acquisition of each id), and every
 * other advisory lock (the migration lock, other tools') shown by id with its session.
 */
import type { LockInfo } from "../contract.ts";
import type { Sql } from "../../store/connection.ts";

interface Row {
  lock_id: bigint;
  objsubid: number;
  classid: bigint;
  objid: bigint;
  pid: number;
  application_name: string | null;
  key: string | null;
  holder: string | null;
  /** Epoch ms as text: exact, and independent of the pool's type parsers. */
  acquired_ms: string | null;
  token: bigint | null;
}

/** `advisory:<id>` for single-bigint locks, `advisory:<key1>:<key2>` for the two-int4 form. */
function unnamedKey(row: Row): string {
  if (Number(row.objsubid) === 1) return `advisory:${BigInt(row.lock_id)}`;
  return `advisory:${BigInt.asIntN(32, BigInt(row.classid))}:${
    BigInt.asIntN(32, BigInt(row.objid))
  }`;
}

export async function listPostgresLocks(sql: Sql, prefix?: string): Promise<LockInfo[]> {
  const [{ fences = false } = {}] = await sql<{ fences: boolean }[]>`
    select to_regclass('lock_fences') is not null as fences`;
  // Without lock_fences (a database not migrated yet) every lock is shown by id.
  const rows = fences
    ? await sql<Row[]>`
      select (l.classid::bigint << 32) | l.objid::bigint as lock_id, l.objsubid::int as objsubid,
             l.classid::bigint as classid, l.objid::bigint as objid, l.pid, a.application_name,
             f.key, f.holder, f.token,
             floor(extract(epoch from f.acquired_at) * 1000)::int8::text as acquired_ms
      from pg_locks l
      left join lateral (
        select key, holder, acquired_at, token from lock_fences f
        where l.objsubid = 1 and f.lock_id = (l.classid::bigint << 32) | l.objid::bigint
        order by f.acquired_at desc nulls last
        limit 1
      ) f on true
      left join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted
        and l.database = (select oid from pg_database where datname = current_database())`
    : await sql<Row[]>`
      select (l.classid::bigint << 32) | l.objid::bigint as lock_id, l.objsubid::int as objsubid,
             l.classid::bigint as classid, l.objid::bigint as objid, l.pid, a.application_name,
             null::text as key, null::text as holder, null::bigint as token,
             null::text as acquired_ms
      from pg_locks l
      left join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted
        and l.database = (select oid from pg_database where datname = current_database())`;

  const locks = rows.map((row): LockInfo => ({
    backend: "postgres",
    key: row.key ?? unnamedKey(row),
    holder: row.holder ??
      `pid ${row.pid}${row.application_name ? ` (${row.application_name})` : ""}`,
    since: row.acquired_ms === null ? null : Number(row.acquired_ms),
    ttlMs: null,
    fencingToken: row.token === null ? null : String(row.token),
  }));
  const unique = new Map(locks.map((lock) => [lock.key, lock]));
  return [...unique.values()]
    .filter((lock) => prefix === undefined || lock.key.startsWith(prefix))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The holders of the given keys that are held now (lock_fences names them); no TTL. */
export async function inspectPostgresLocks(
  sql: Sql,
  keys: readonly string[],
): Promise<Map<string, { holder: string | null; ttlMs: number | null }>> {
  const rows = await sql<{ key: string; holder: string | null }[]>`
    select f.key, f.holder from lock_fences f
    where f.key = any(${keys as string[]}::text[])
      and exists (
        select 1 from pg_locks l
        where l.locktype = 'advisory' and l.objsubid = 1 and l.granted
          and l.database = (select oid from pg_database where datname = current_database())
          and (l.classid::bigint << 32) | l.objid::bigint = f.lock_id
      )`;
  return new Map(rows.map((row) => [row.key, { holder: row.holder, ttlMs: null }]));
}
