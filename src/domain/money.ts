import { BPS_DENOMINATOR } from "./schemas.ts";

const DENOMINATOR = BigInt(BPS_DENOMINATOR);

/**
 * floor(sumInsured * payoutBps / 10000), exactly: the product reaches 10^16 (> 2^53), so it is
 * formed in BigInt; the result is at most sumInsured (<= 10^12) and fits a JS number exactly.
 */
export function payoutAmount(sumInsured: number, payoutBps: number): number {
  if (!Number.isSafeInteger(sumInsured) || sumInsured < 0) {
    throw new RangeError(`sumInsured must be a non-negative safe integer, got ${sumInsured}`);
  }
  if (!Number.isInteger(payoutBps) || payoutBps < 0 || payoutBps > BPS_DENOMINATOR) {
    throw new RangeError(
      `payoutBps must be an integer from 0 to ${BPS_DENOMINATOR}, got ${payoutBps}`,
    );
  }
  return Number((BigInt(sumInsured) * BigInt(payoutBps)) / DENOMINATOR);
}
