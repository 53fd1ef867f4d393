/**
 * The Redis locks held now, for operators: SCAN (never KEYS, which blocks Redis) over
 * `lock:*`, then one pipeline of GET + PTTL per page of keys.
 */
import type { Redis } from "ioredis";
import type { LockInfo } from "../contract.ts";
import { LOCK_KEY_PREFIX } from "../keys.ts";
import { parseLockValue } from "./scripts.ts";

const SCAN_PAGE = 500;

/** Escapes the glob characters of a SCAN MATCH pattern. */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export async function listRedisLocks(
  redis: Redis,
  prefix: string = LOCK_KEY_PREFIX,
): Promise<LockInfo[]> {
  const locks: LockInfo[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(
      cursor,
      "MATCH",
      `${globLiteral(prefix)}*`,
      "COUNT",
      SCAN_PAGE,
    );
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.get(key).pttl(key);
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const [valueError, value] = replies[2 * i] ?? [null, null];
      const [, pttl] = replies[2 * i + 1] ?? [null, -2];
      // -2: it expired between SCAN and PTTL; not held any more.
      if (pttl === -2) return;
      const raw = valueError ? null : (value as string | null);
      const parsed = raw === null ? null : parseLockValue(raw);
      locks.push({
        backend: "redis",
        key,
        holder: parsed?.holder ?? raw,
        since: parsed?.acquiredAt ?? null,
        ttlMs: typeof pttl === "number" && pttl >= 0 ? pttl : null,
        fencingToken: parsed?.token ?? null,
      });
    });
  } while (cursor !== "0");
  // SCAN may return a key twice; keep one of each, in a stable order.
  const unique = new Map(locks.map((lock) => [lock.key, lock]));
  return [...unique.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
