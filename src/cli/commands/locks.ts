/**
 * `claims locks`: the locks held right now, for an operator wondering why a policy-day does
 * not compute. Redis: `lock:*` keys (SCAN) with holder, age and remaining TTL. PostgreSQL:
 * advisory locks from pg_locks, named through lock_fences, plus any other advisory lock
 * shown by id. A table, or `--json` (an array of LockInfo).
 */
import { InvalidArgumentError } from "commander";
import { LOCK_KEY_PREFIX } from "../../locks/keys.ts";
import type { LocksOptions } from "../actions/locks.ts";
import type { RegisterCommand } from "../context.ts";

export const SOURCES = ["redis", "postgres", "all"] as const;
export type Source = (typeof SOURCES)[number];

function parseSource(value: string): Source {
  if ((SOURCES as readonly string[]).includes(value)) return value as Source;
  throw new InvalidArgumentError(`--backend must be one of ${SOURCES.join(", ")}, got "${value}"`);
}

export const registerLocks: RegisterCommand = (program, ctx) => {
  program
    .command("locks")
    .description("list the locks held now: Redis lock:* keys and PostgreSQL advisory locks")
    .option("--json", "print an array of { backend, key, holder, since, ttlMs, fencingToken }")
    .option("--backend <name>", `which locks: ${SOURCES.join(", ")}`, parseSource, "all")
    .option(
      "--prefix <prefix>",
      `only keys starting with this (default: every ${LOCK_KEY_PREFIX}* key)`,
    )
    .action(async (options: LocksOptions) => {
      const { run } = await import("../actions/locks.ts");
      await run(ctx, options);
    });
};
