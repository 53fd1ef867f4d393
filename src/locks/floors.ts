/**
 * Token floors (AcquireOptions.minTokens): both backends compute tokens as exact integers up to
 * 2^53 - 1 (Redis in Lua doubles, PostgreSQL in bigint but compared with the Redis ones), so a
 * floor above that is refused rather than silently rounded.
 */
import { ClaimsError, ErrorCodes } from "../errors.ts";
import type { AcquireOptions } from "./contract.ts";

const MAX_FLOOR = BigInt(Number.MAX_SAFE_INTEGER);

/** The floor of `key` as decimal text, or undefined when it has none. */
export function floorOf(options: AcquireOptions, key: string): string | undefined {
  const floor = options.minTokens?.get(key);
  if (floor === undefined) return undefined;
  if (typeof floor !== "bigint" || floor < 0n || floor > MAX_FLOOR) {
    throw new ClaimsError(
      ErrorCodes.INPUT_INVALID,
      `minTokens for ${key}: must be a bigint from 0 to 2^53 - 1, got ${String(floor)}`,
    );
  }
  return floor.toString();
}
