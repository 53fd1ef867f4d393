/**
 * Lock key names. Every key of both backends starts with `lock:` so that operators (and
 * `claims locks`) find all of them with one pattern; the parts after it are validated here so
 * that a key can always be split back into what it protects (ids never contain `:`, SPEC §2).
 */
import { isValidDate } from "../domain/calendar.ts";
import { ID_PATTERN } from "../domain/ids.ts";
import { ClaimsError, ErrorCodes } from "../errors.ts";

export const LOCK_KEY_PREFIX = "lock:";
const CLAIM_CALC_PREFIX = "lock:claim_calc:";
const LEADER_PREFIX = "lock:leader:";
/** Long enough for any key this product builds, short enough to keep Redis and pg_locks tidy. */
export const MAX_LOCK_KEY_LENGTH = 200;

function invalid(message: string): ClaimsError {
  return new ClaimsError(ErrorCodes.INPUT_INVALID, message);
}

/** `lock:claim_calc:<policyId>:<date>`: the per policy-day calculation lock of SPEC §1. */
export function claimCalcLockKey(policyId: string, date: string): string {
  if (typeof policyId !== "string" || !ID_PATTERN.test(policyId)) {
    throw invalid(
      `lock key: policyId must match ${ID_PATTERN.source} (no ':'), got ${
        JSON.stringify(policyId)
      }`,
    );
  }
  if (typeof date !== "string" || !isValidDate(date)) {
    throw invalid(
      `lock key: date must be an existing YYYY-MM-DD date, got ${JSON.stringify(date)}`,
    );
  }
  return `${CLAIM_CALC_PREFIX}${policyId}:${date}`;
}

/** The parts of a claim-calculation key, or null for any other key. */
export function parseClaimCalcLockKey(key: string): { policyId: string; date: string } | null {
  if (!key.startsWith(CLAIM_CALC_PREFIX)) return null;
  const [policyId, date, ...rest] = key.slice(CLAIM_CALC_PREFIX.length).split(":");
  if (rest.length > 0 || policyId === undefined || date === undefined) return null;
  if (!ID_PATTERN.test(policyId) || !isValidDate(date)) return null;
  return { policyId, date };
}

/** `lock:leader:<name>`: the key of a leadership guard (a PostgreSQL session lock). */
export function leaderLockKey(name: string): string {
  if (typeof name !== "string" || !ID_PATTERN.test(name)) {
    throw invalid(
      `leadership name must match ${ID_PATTERN.source}, got ${JSON.stringify(name)}`,
    );
  }
  return `${LEADER_PREFIX}${name}`;
}

/**
 * Checks a key handed to a backend: `lock:` prefix, printable ASCII without spaces, bounded
 * length. Throws INPUT_INVALID naming the key.
 */
export function assertLockKey(key: string): void {
  if (typeof key !== "string" || !key.startsWith(LOCK_KEY_PREFIX)) {
    throw invalid(`lock key must start with "${LOCK_KEY_PREFIX}", got ${JSON.stringify(key)}`);
  }
  if (key.length === LOCK_KEY_PREFIX.length || key.length > MAX_LOCK_KEY_LENGTH) {
    throw invalid(
      `lock key must have 1 to ${
        MAX_LOCK_KEY_LENGTH - LOCK_KEY_PREFIX.length
      } characters after "${LOCK_KEY_PREFIX}", got ${key.length - LOCK_KEY_PREFIX.length}`,
    );
  }
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw invalid(
      `lock key must be printable ASCII without spaces, got ${JSON.stringify(key)}`,
    );
  }
}
