/** observedAt instants (SPEC §2): ISO-8601 with Z or an offset, exact to the millisecond. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { test } from "../../support/test.ts";
import { instantMs } from "../../../src/domain/instant.ts";

const NEW_YEAR_2025 = 1_735_689_600_000; // 2025-01-01T00:00:00Z: 20,089 days x 86,400,000 ms

test("instantMs: the forms SPEC §2 accepts, worked out by hand", () => {
  const rows: [string, number][] = [
    ["2025-01-01T00:00:00Z", NEW_YEAR_2025],
    ["2025-01-01T00:00:00.000Z", NEW_YEAR_2025],
    ["2025-01-01T00:00Z", NEW_YEAR_2025], // seconds are optional
    ["2025-01-01t00:00:00z", NEW_YEAR_2025], // RFC 3339 allows lower case
    ["2025-01-01T05:30:00+05:30", NEW_YEAR_2025],
    ["2025-01-01T12:45:00+12:45", NEW_YEAR_2025],
    ["2024-12-31T19:00:00-05:00", NEW_YEAR_2025],
    ["2025-01-01T00:00:00-00:00", NEW_YEAR_2025],
    ["2025-01-01T00:00:00.5Z", NEW_YEAR_2025 + 500],
    ["2025-01-01T00:00:00.05Z", NEW_YEAR_2025 + 50],
    ["2025-01-01T00:00:00.123Z", NEW_YEAR_2025 + 123],
    ["2025-01-01T00:00:00.123999999Z", NEW_YEAR_2025 + 123], // truncated, never rounded up
    ["2025-01-01T23:59:59.999+23:59", NEW_YEAR_2025 + 86_399_999 - (23 * 60 + 59) * 60_000],
    ["1970-01-01T00:00:00Z", 0],
    ["1969-12-31T23:59:59.999Z", -1],
    ["2024-02-29T12:00:00Z", NEW_YEAR_2025 - 307 * 86_400_000 + 12 * 3_600_000],
    ["0001-01-01T00:00:00Z", -62_135_596_800_000],
    ["9999-12-31T23:59:59.999Z", 253_402_300_799_999],
  ];
  for (const [text, ms] of rows) assert.equal(instantMs(text), ms, text);
});

test("instantMs: NaN for anything that is not an instant", () => {
  const bad = [
    "",
    "2025-01-01",
    "2025-01-01T00:00:00", // no zone: a local time, not an instant
    "2025-01-01 00:00:00Z",
    "2025-01-01T00:00:00+0100",
    "2025-01-01T00:00:00+01",
    "2025-01-01T00:00:00+24:00",
    "2025-01-01T00:00:00+01:60",
    "2025-02-29T00:00:00Z",
    "2025-04-31T00:00:00Z",
    "2025-13-01T00:00:00Z",
    "2025-01-01T24:00:00Z",
    "2025-01-01T00:60:00Z",
    "2025-01-01T00:00:60Z",
    "2025-01-01T00:00:00.Z",
    "2025-01-01T00:00:00.1234567890Z",
    "2025-01-01T00:00.5Z",
    "0000-01-01T00:00:00Z",
    "+002025-01-01T00:00:00Z",
    "2025-01-01T00:00:00ZZ",
    "2025-01-01T00:00:00Z ",
    " 2025-01-01T00:00:00Z",
    "2025-01-01T00:00:00+01:00:00",
    "2025-01-01T0a:00:00Z",
    "２０２５-01-01T00:00:00Z",
  ];
  for (const text of bad) assert.ok(Number.isNaN(instantMs(text)), JSON.stringify(text));
});

test("instantMs equals Date's reading of the same instant, any offset (property)", () => {
  const offsetMinutes = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 });
  fc.assert(
    fc.property(
      fc.integer({ min: -62_000_000_000_000, max: 253_000_000_000_000 }),
      offsetMinutes,
      (ms, offset) => {
        // The wall clock at `offset` written with that offset names the same instant.
        const wall = new Date(ms + offset * 60_000).toISOString().slice(0, 23);
        const sign = offset < 0 ? "-" : "+";
        const abs = Math.abs(offset);
        const suffix = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${
          String(abs % 60).padStart(2, "0")
        }`;
        assert.equal(instantMs(`${wall}${suffix}`), ms);
        assert.equal(instantMs(new Date(ms).toISOString()), ms);
      },
    ),
    { seed: 7, numRuns: 3_000 },
  );
});
