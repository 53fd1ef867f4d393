/**
 * No lock left held once the workers are gone: no `lock:*` key in this run's Redis (a killed
 * holder's lease may live out its TTL, so the check waits that long before it complains) and
 * no advisory lock on this run's database.
 */
import { Redis } from "ioredis";
import { connectSql } from "../../../src/store/connection.ts";
import { adminDatabaseUrl } from "../services.ts";
import { sleep } from "../timeline.ts";
import type { Check } from "./context.ts";

async function redisLockKeys(url: string): Promise<string[]> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: true });
  redis.on("error", () => {});
  try {
    await redis.connect();
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, page] = await redis.scan(cursor, "MATCH", "lock:*", "COUNT", 1000);
      cursor = next;
      keys.push(...page);
    } while (cursor !== "0");
    return [...new Set(keys)].sort();
  } finally {
    redis.disconnect();
  }
}

export const noLocksHeld: Check = {
  name: "no-locks-held",
  description: "no Redis lock:* key and no PostgreSQL advisory lock left once the workers stopped",
  async run({ redisUrl, databaseName, lockTtlMs }) {
    const problems: string[] = [];
    let keys = await redisLockKeys(redisUrl);
    const deadline = Date.now() + lockTtlMs + 1_000;
    while (keys.length > 0 && Date.now() < deadline) {
      await sleep(250);
      keys = await redisLockKeys(redisUrl);
    }
    for (const key of keys) problems.push(`Redis ${key} still held after the lock TTL`);
    const sql = connectSql(adminDatabaseUrl, { max: 1, applicationName: "claims-chaos" });
    try {
      const locks = await sql<{ pid: number; objid: string; application_name: string | null }[]>`
        select l.pid, l.objid::text, a.application_name from pg_locks l
        join pg_database d on d.oid = l.database
        left join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and d.datname = ${databaseName}`;
      for (const l of locks) {
        problems.push(
          `PostgreSQL advisory lock ${l.objid} held by pid ${l.pid} (${l.application_name ?? "?"})`,
        );
      }
    } finally {
      await sql.end({ timeout: 5 });
    }
    return problems;
  },
};
