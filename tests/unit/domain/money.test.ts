/** payoutAmount = floor(sumInsured * payoutBps / 10000), exact where the product passes 2^53. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { test } from "../../support/test.ts";
import { payoutAmount } from "../../../src/domain/money.ts";

test("payoutAmount: exact floor, worked out by hand, up to sumInsured = 10^12", () => {
  const rows: [sumInsured: number, bps: number, amount: number, why: string][] = [
    [1_000_000_000_000, 10_000, 1_000_000_000_000, "the whole sum"],
    [1_000_000_000_000, 1, 100_000_000, "10^12 / 10^4"],
    [1_000_000_000_000, 3_333, 333_300_000_000, "10^12 * 3333 / 10^4"],
    [
      999_999_999_999,
      3_333,
      333_299_999_999,
      "3,332,999,999,996,667 / 10^4 = 333,299,999,999.6667",
    ],
    [
      999_999_999_999,
      9_999,
      999_899_999_999,
      "9,998,999,999,990,001 / 10^4 = 999,899,999,999.0001",
    ],
    [999_999_999_999, 1, 99_999_999, "999,999,999,999 / 10^4 = 99,999,999.9999"],
    [123_456_789_013, 7_777, 96_012_344_815, "960,123,448,154,101 / 10^4 = 96,012,344,815.4101"],
    // Past 2^53: in floating point this product rounds to ...0210000 and floors to ...021.
    [
      999_999_800_001,
      9_999,
      999_899_800_020,
      "9,998,998,000,209,999 / 10^4 = 999,899,800,020.9999",
    ],
    [1, 9_999, 0, "0.9999 floors to 0"],
    [10_000, 1, 1, "exactly one minor unit"],
    [9_999, 1, 0, "just below one minor unit"],
    [500_000, 0, 0, "zero basis points"],
  ];
  for (const [sumInsured, bps, amount, why] of rows) {
    assert.equal(payoutAmount(sumInsured, bps), amount, why);
  }
});

test("payoutAmount agrees with BigInt arithmetic over the whole range (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1_000_000_000_000 }),
      fc.integer({ min: 0, max: 10_000 }),
      (sumInsured, bps) => {
        const exact = (BigInt(sumInsured) * BigInt(bps)) / 10_000n;
        assert.equal(BigInt(payoutAmount(sumInsured, bps)), exact);
      },
    ),
    { seed: 11, numRuns: 5_000 },
  );
});

test("payoutAmount refuses what would not be exact", () => {
  assert.throws(() => payoutAmount(1.5, 100), /sumInsured .* got 1.5/);
  assert.throws(() => payoutAmount(2 ** 53, 100), /sumInsured/);
  assert.throws(() => payoutAmount(-1, 100), /sumInsured/);
  assert.throws(() => payoutAmount(100, 10_001), /payoutBps .* got 10001/);
  assert.throws(() => payoutAmount(100, -1), /payoutBps/);
  assert.throws(() => payoutAmount(100, 0.5), /payoutBps/);
});
