/**
 * Zone-aware local days (SPEC §3.1): real IANA rules, DST days of 23 and 25 hours, :30 and :45
 * offsets, midnight gaps, second-precision historic offsets. Every expected instant below was
 * worked out by hand from the zone's published rules (noted beside each row).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { test } from "../../support/test.ts";
import {
  addDays,
  dateOfEpochDay,
  datesInRange,
  daysBetween,
  epochDay,
  epochDayOfDate,
  isValidDate,
  isValidTimeZone,
  localDateOf,
  localDayBounds,
  startOfLocalDay,
  zoneOffsetMs,
} from "../../../src/domain/calendar.ts";

const at = (iso: string) => {
  const ms = Date.parse(iso);
  assert.ok(!Number.isNaN(ms), iso);
  return ms;
};
const HOUR = 3_600_000;

test("localDateOf: events just before and after local midnight, DST change days included", () => {
  const rows: [instant: string, zone: string, date: string, why: string][] = [
    // Europe/Berlin, spring forward 2025-03-30 02:00 CET -> 03:00 CEST (01:00Z)
    ["2025-03-29T22:59:59.999Z", "Europe/Berlin", "2025-03-29", "23:59:59.999 CET"],
    ["2025-03-29T23:00:00Z", "Europe/Berlin", "2025-03-30", "00:00 CET, the 23 h day begins"],
    ["2025-03-30T00:59:59Z", "Europe/Berlin", "2025-03-30", "01:59:59 CET, before the gap"],
    ["2025-03-30T01:00:00Z", "Europe/Berlin", "2025-03-30", "03:00 CEST, after the gap"],
    ["2025-03-30T21:59:59Z", "Europe/Berlin", "2025-03-30", "23:59:59 CEST"],
    ["2025-03-30T22:00:00Z", "Europe/Berlin", "2025-03-31", "00:00 CEST"],
    // Europe/Berlin, fall back 2025-10-26 03:00 CEST -> 02:00 CET (01:00Z)
    ["2025-10-25T21:59:59Z", "Europe/Berlin", "2025-10-25", "23:59:59 CEST"],
    ["2025-10-25T22:00:00Z", "Europe/Berlin", "2025-10-26", "00:00 CEST, the 25 h day begins"],
    ["2025-10-26T00:30:00Z", "Europe/Berlin", "2025-10-26", "02:30 CEST, first time"],
    ["2025-10-26T01:30:00Z", "Europe/Berlin", "2025-10-26", "02:30 CET, second time"],
    ["2025-10-26T22:59:59Z", "Europe/Berlin", "2025-10-26", "23:59:59 CET"],
    ["2025-10-26T23:00:00Z", "Europe/Berlin", "2025-10-27", "00:00 CET"],
    // America/New_York, spring forward 2025-03-09 02:00 EST -> 03:00 EDT (07:00Z)
    ["2025-03-09T04:59:59Z", "America/New_York", "2025-03-08", "23:59:59 EST"],
    ["2025-03-09T05:00:00Z", "America/New_York", "2025-03-09", "00:00 EST"],
    ["2025-03-10T03:59:59Z", "America/New_York", "2025-03-09", "23:59:59 EDT"],
    ["2025-03-10T04:00:00Z", "America/New_York", "2025-03-10", "00:00 EDT"],
    // America/New_York, fall back 2025-11-02 02:00 EDT -> 01:00 EST (06:00Z)
    ["2025-11-02T03:59:59Z", "America/New_York", "2025-11-01", "23:59:59 EDT"],
    ["2025-11-02T04:00:00Z", "America/New_York", "2025-11-02", "00:00 EDT"],
    ["2025-11-03T04:59:59Z", "America/New_York", "2025-11-02", "23:59:59 EST"],
    ["2025-11-03T05:00:00Z", "America/New_York", "2025-11-03", "00:00 EST"],
    // Asia/Kolkata +05:30, no DST
    ["2025-06-01T18:29:59Z", "Asia/Kolkata", "2025-06-01", "23:59:59 IST"],
    ["2025-06-01T18:30:00Z", "Asia/Kolkata", "2025-06-02", "00:00 IST"],
    // Asia/Kathmandu +05:45
    ["2025-06-01T18:14:59Z", "Asia/Kathmandu", "2025-06-01", "23:59:59 NPT"],
    ["2025-06-01T18:15:00Z", "Asia/Kathmandu", "2025-06-02", "00:00 NPT"],
    // Pacific/Chatham +12:45 in winter, +13:45 in summer
    ["2025-06-01T11:14:59Z", "Pacific/Chatham", "2025-06-01", "23:59:59 +12:45"],
    ["2025-06-01T11:15:00Z", "Pacific/Chatham", "2025-06-02", "00:00 +12:45"],
    ["2025-01-10T10:14:59Z", "Pacific/Chatham", "2025-01-10", "23:59:59 +13:45"],
    ["2025-01-10T10:15:00Z", "Pacific/Chatham", "2025-01-11", "00:00 +13:45"],
    // Chatham fall back 2025-04-06 03:45 +13:45 -> 02:45 +12:45 (14:00Z)
    ["2025-04-05T13:59:59Z", "Pacific/Chatham", "2025-04-06", "03:44:59 +13:45"],
    ["2025-04-05T14:00:00Z", "Pacific/Chatham", "2025-04-06", "02:45 +12:45"],
    // UTC and the two ends of the offsets in use
    ["2025-01-01T00:00:00Z", "UTC", "2025-01-01", "midnight UTC"],
    ["2024-12-31T23:59:59.999Z", "UTC", "2024-12-31", "last ms of the year"],
    ["2024-12-31T09:59:59Z", "Pacific/Kiritimati", "2024-12-31", "23:59:59 +14"],
    ["2024-12-31T10:00:00Z", "Pacific/Kiritimati", "2025-01-01", "00:00 +14"],
    ["2025-01-01T10:59:59Z", "Pacific/Pago_Pago", "2024-12-31", "23:59:59 -11"],
    ["2025-01-01T11:00:00Z", "Pacific/Pago_Pago", "2025-01-01", "00:00 -11"],
  ];
  for (const [instant, zone, date, why] of rows) {
    assert.equal(localDateOf(at(instant), zone), date, `${instant} in ${zone} (${why})`);
  }
});

test("localDayBounds: 24 h days, 23 h and 25 h DST days, a midnight gap, a skipped day", () => {
  const rows: [date: string, zone: string, start: string, end: string, hours: number][] = [
    ["2025-06-02", "Pacific/Chatham", "2025-06-01T11:15:00Z", "2025-06-02T11:15:00Z", 24],
    ["2025-03-30", "Europe/Berlin", "2025-03-29T23:00:00Z", "2025-03-30T22:00:00Z", 23],
    ["2025-10-26", "Europe/Berlin", "2025-10-25T22:00:00Z", "2025-10-26T23:00:00Z", 25],
    ["2025-03-09", "America/New_York", "2025-03-09T05:00:00Z", "2025-03-10T04:00:00Z", 23],
    ["2025-11-02", "America/New_York", "2025-11-02T04:00:00Z", "2025-11-03T05:00:00Z", 25],
    // Chatham: 00:00 +13:45 to 00:00 +12:45 next day
    ["2025-04-06", "Pacific/Chatham", "2025-04-05T10:15:00Z", "2025-04-06T11:15:00Z", 25],
    // Lord Howe shifts by 30 minutes: 23.5 h and 24.5 h days
    ["2025-10-05", "Australia/Lord_Howe", "2025-10-04T13:30:00Z", "2025-10-05T13:00:00Z", 23.5],
    ["2025-04-06", "Australia/Lord_Howe", "2025-04-05T13:00:00Z", "2025-04-06T13:30:00Z", 24.5],
    // Chile springs forward at midnight: 2025-09-07 begins at 01:00 -03 (04:00Z)
    ["2025-09-07", "America/Santiago", "2025-09-07T04:00:00Z", "2025-09-08T03:00:00Z", 23],
    // Chile falls back at midnight: 2025-04-05 ends at 00:00 -04 of 04-06
    ["2025-04-05", "America/Santiago", "2025-04-05T03:00:00Z", "2025-04-06T04:00:00Z", 25],
    // Samoa skipped 2011-12-30 when it crossed the date line: an empty day
    ["2011-12-30", "Pacific/Apia", "2011-12-30T10:00:00Z", "2011-12-30T10:00:00Z", 0],
    // Liberia kept -0:44:30 until 1972-01-07: offsets are exact to the second
    ["1970-01-01", "Africa/Monrovia", "1970-01-01T00:44:30Z", "1970-01-02T00:44:30Z", 24],
  ];
  for (const [date, zone, start, end, hours] of rows) {
    const bounds = localDayBounds(date, zone);
    assert.deepEqual(bounds, { startMs: at(start), endMs: at(end) }, `${date} in ${zone}`);
    assert.equal((bounds.endMs - bounds.startMs) / HOUR, hours, `${date} in ${zone} hours`);
  }
});

test("localDayBounds agrees with localDateOf at both edges, for every day of a year", () => {
  const zones = [
    "Europe/Berlin",
    "America/New_York",
    "America/Santiago",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
  ];
  for (const zone of zones) {
    for (const date of datesInRange("2025-01-01", "2025-12-31")) {
      const { startMs, endMs } = localDayBounds(date, zone);
      assert.equal(localDateOf(startMs, zone), date, `${zone} ${date} start`);
      assert.equal(localDateOf(startMs - 1, zone), addDays(date, -1), `${zone} ${date} before`);
      assert.equal(localDateOf(endMs - 1, zone), date, `${zone} ${date} last ms`);
      assert.equal(startOfLocalDay(addDays(date, 1), zone), endMs);
    }
  }
});

test("zoneOffsetMs is exact to the second around a transition, whatever the cache holds", () => {
  const transition = at("2025-03-30T01:00:00Z"); // Berlin: +1 h before, +2 h from here on
  // Ask for the far side first and the near side after, so a coarse cache would show itself.
  assert.equal(zoneOffsetMs(transition + 5 * HOUR, "Europe/Berlin"), 2 * HOUR);
  assert.equal(zoneOffsetMs(transition - 1, "Europe/Berlin"), HOUR);
  assert.equal(zoneOffsetMs(transition, "Europe/Berlin"), 2 * HOUR);
  assert.equal(zoneOffsetMs(transition - 5 * HOUR, "Europe/Berlin"), HOUR);
  // Lord Howe changes at 02:00 local (15:00Z on 2025-10-04), by 30 minutes
  const lordHowe = at("2025-10-04T15:30:00Z");
  assert.equal(zoneOffsetMs(lordHowe - 1, "Australia/Lord_Howe"), 10.5 * HOUR);
  assert.equal(zoneOffsetMs(lordHowe, "Australia/Lord_Howe"), 11 * HOUR);
  assert.equal(zoneOffsetMs(0, "Africa/Monrovia"), -(44 * 60 + 30) * 1000);
});

test("calendar dates: existence, leap years, years below 100, ranges", () => {
  const valid = [
    "2024-02-29",
    "2000-02-29",
    "2025-12-31",
    "0001-01-01",
    "0050-06-15",
    "9999-12-31",
  ];
  const invalid = [
    "2025-02-29",
    "2100-02-29",
    "2025-04-31",
    "2025-13-01",
    "2025-00-10",
    "2025-01-00",
    "0000-01-01",
    "2025-1-01",
    "25-01-01",
    "2025-01-01T00:00:00Z",
    " 2025-01-01",
    "",
  ];
  for (const date of valid) assert.equal(isValidDate(date), true, date);
  for (const date of invalid) assert.equal(isValidDate(date), false, date);
  assert.equal(addDays("2024-02-28", 1), "2024-02-29");
  assert.equal(addDays("2025-02-28", 1), "2025-03-01");
  assert.equal(addDays("0050-01-01", -1), "0049-12-31");
  assert.equal(addDays("9999-12-31", 1), "+010000-01-01"); // the next day of the last one stays usable
  assert.equal(daysBetween("2024-01-01", "2025-01-01"), 366);
  assert.equal(daysBetween("2025-01-01", "2024-12-31"), -1);
  assert.deepEqual(datesInRange("2024-02-27", "2024-03-01"), [
    "2024-02-27",
    "2024-02-28",
    "2024-02-29",
    "2024-03-01",
  ]);
  assert.deepEqual(datesInRange("2025-01-02", "2025-01-01"), []);
  assert.equal(epochDayOfDate("1970-01-01"), 0);
  assert.equal(dateOfEpochDay(-1), "1969-12-31");
  assert.equal(dateOfEpochDay(epochDayOfDate("0050-06-15")), "0050-06-15");
});

test("epochDay equals the day number of Date for every year 0001-9999 (property)", () => {
  fc.assert(
    fc.property(
      fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z") }),
      (d) => {
        if (Number.isNaN(d.getTime())) return;
        const day = Math.floor(d.getTime() / 86_400_000);
        assert.equal(epochDay(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()), day);
        assert.equal(dateOfEpochDay(day), d.toISOString().slice(0, 10));
      },
    ),
    { seed: 31, numRuns: 2_000 },
  );
});

test("time zone names: IANA names pass; fixed offsets and unknown names fail on every runtime", () => {
  for (const zone of ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5"]) {
    assert.equal(isValidTimeZone(zone), true, zone);
  }
  // Deno's Intl accepts "+01:00" where Node's does not: neither is a zone name.
  for (
    const zone of ["+01:00", "-0500", "Z", "Mars/Olympus", "", "Europe/Berlin ", "x".repeat(65)]
  ) {
    assert.equal(isValidTimeZone(zone), false, JSON.stringify(zone));
  }
});
