/**
 * From a lock key string to the 64-bit id PostgreSQL advisory locks take.
 *
 * Derivation (stable, documented for operators who look at pg_locks): the first 8 bytes of
 * SHA-256 over the key's UTF-8 bytes, read big-endian as a signed 64-bit integer (bigint's
 * range). pg_locks shows it split in two: classid = the high 32 bits, objid = the low 32 bits,
 * objsubid = 1; `(classid::bigint << 32) | objid::bigint` gives it back.
 *
 * The same id in SQL, for an operator looking for a key in pg_locks:
 *   select ('x' || left(encode(sha256(convert_to('lock:claim_calc:P1:2025-01-01', 'UTF8')),
 *           'hex'), 16))::bit(64)::bigint;                      -- -25153024411706538
 *
 * Collisions: two keys may share an id (about 1 in 2^64 for a pair; for the ~36 million
 * policy-days of a busy year ~4 in 100,000 that any two collide at all). A collision is
 * harmless: the two unrelated keys serialise (one waits for the other) but no lock is ever
 * granted to two holders. `list` joins pg_locks back to names through lock_fences and shows
 * the latest acquisition of that id.
 */
import crypto from "node:crypto";

export function lockIdOf(key: string): bigint {
  const digest = crypto.createHash("sha256").update(key, "utf8").digest();
  return digest.readBigInt64BE(0);
}

/** The pg_locks columns of an id: classid (high half) and objid (low half), unsigned. */
export function lockIdParts(lockId: bigint): { classid: number; objid: number } {
  const unsigned = BigInt.asUintN(64, lockId);
  return { classid: Number(unsigned >> 32n), objid: Number(unsigned & 0xffff_ffffn) };
}
