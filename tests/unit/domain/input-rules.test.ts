/**
 * Issue 24, point 4: the limits every input crosses (src/domain/input-rules.ts,
 * number-text.ts) as the schemas apply them: the supported date range and why it is safe in
 * every IANA zone, instants PostgreSQL and the calendar both hold, text without controls or
 * lone surrogates, and integers decided from their source text.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import { addDays, localDateOf, localDayBounds } from "../../../src/domain/calendar.ts";
import {
  controlCharacterAt,
  END_OF_SUPPORTED_INSTANTS_MS,
  FIRST_SUPPORTED_DATE,
  FIRST_SUPPORTED_INSTANT_MS,
  LAST_SUPPORTED_DATE,
  loneSurrogateAt,
} from "../../../src/domain/input-rules.ts";
import { exactIntegerOf, NumberText } from "../../../src/domain/number-text.ts";
import { parseEvent, parsePolicy } from "../../../src/domain/schemas.ts";

const policy = {
  id: "P1",
  region: "coastal",
  currency: "EUR",
  sumInsured: 1_000_000,
  timezone: "UTC",
  coverageStart: "2025-03-01",
  coverageEnd: "2025-03-31",
  payoutMode: "once_per_day",
  tierPayoutsBps: { tier1: 1000, tier2: 2500, tier3: 5000 },
  periodCapBps: 6000,
};
const event = { id: "E1", region: "coastal", tier: "tier1", observedAt: "2025-03-10T12:00:00Z" };

const policyOf = (value: unknown) => parsePolicy(value, "");
const eventOf = (value: unknown) => parseEvent(value, "");

function problems(result: ReturnType<typeof parsePolicy> | ReturnType<typeof parseEvent>) {
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
}

/** PostgreSQL's `date` input and the calendar code agree on YYYY-MM-DD with years 0001-9999. */
const FOUR_DIGIT_DATE = /^(000[1-9]|00[1-9]\d|0[1-9]\d\d|[1-9]\d{3})-\d\d-\d\d$/;

test("the supported range: 0002-01-01 .. 9998-12-31, refused outside with the range named", () => {
  for (
    const [start, end] of [[FIRST_SUPPORTED_DATE, "0002-01-02"], [
      "9998-12-30",
      LAST_SUPPORTED_DATE,
    ]]
  ) {
    assert.deepEqual(
      problems(policyOf({ ...policy, coverageStart: start, coverageEnd: end })),
      [],
    );
  }
  assert.deepEqual(
    problems(policyOf({ ...policy, coverageStart: "0001-01-01", coverageEnd: "9999-12-31" })),
    [
      'coverageStart: must be a date from 0002-01-01 to 9998-12-31 (the supported range), got "0001-01-01"',
      'coverageEnd: must be a date from 0002-01-01 to 9998-12-31 (the supported range), got "9999-12-31"',
    ],
  );
  assert.match(
    problems(policyOf({ ...policy, coverageStart: "0001-12-31" }))[0]!,
    /^coverageStart: .*supported range/,
  );
});

test("every neighbour the calculator and the store look at stays a four-digit year, in every IANA zone", () => {
  const zones = Intl.supportedValuesOf("timeZone");
  assert.ok(zones.length > 300);
  for (const zone of ["UTC", ...zones]) {
    for (const date of [FIRST_SUPPORTED_DATE, LAST_SUPPORTED_DATE]) {
      // The day before a coverage start and after its end, and the window of the local day.
      for (const d of [addDays(date, -2), addDays(date, -1), addDays(date, 1), addDays(date, 2)]) {
        assert.match(d, FOUR_DIGIT_DATE, `${zone} ${date}`);
      }
      const { startMs, endMs } = localDayBounds(date, zone);
      for (const ms of [startMs, endMs]) {
        const utc = new Date(ms).toISOString().slice(0, 10);
        assert.match(utc, FOUR_DIGIT_DATE, `${zone} ${date} window`);
        assert.match(addDays(utc, -1), FOUR_DIGIT_DATE);
        assert.match(addDays(utc, 1), FOUR_DIGIT_DATE);
      }
    }
    // An instant's local date and its neighbours, at both ends of the supported instants.
    for (const ms of [FIRST_SUPPORTED_INSTANT_MS, END_OF_SUPPORTED_INSTANTS_MS - 1]) {
      const local = localDateOf(ms, zone);
      for (const d of [addDays(local, -1), local, addDays(local, 1)]) {
        assert.match(d, FOUR_DIGIT_DATE, `${zone} ${new Date(ms).toISOString()}`);
      }
    }
  }
});

test("instants: a UTC date in the supported range; the audit's 9999-12-31T23:59:59-14:00 is refused", () => {
  for (
    const ok of ["0002-01-01T00:00:00Z", "9998-12-31T23:59:59.999Z", "9998-12-31T23:59:59+14:00"]
  ) {
    assert.deepEqual(problems(eventOf({ ...event, observedAt: ok })), [], ok);
  }
  for (
    const bad of [
      "9999-12-31T23:59:59-14:00",
      "9999-01-01T00:00:00Z",
      "0001-12-31T23:59:59Z",
      "0002-01-01T00:00:00+00:01",
    ]
  ) {
    assert.deepEqual(problems(eventOf({ ...event, observedAt: bad })), [
      `observedAt: must be an instant on a UTC date from 0002-01-01 to 9998-12-31 (the supported range), got ${
        JSON.stringify(bad)
      }`,
    ]);
  }
});

test("text fields refuse C0 controls, DEL and C1 controls, naming the code point", () => {
  for (
    const [text, at, name] of [
      ["a\u0000b", 2, "U+0000"],
      ["tab\there", 4, "U+0009"],
      ["\u007f", 1, "U+007F"],
      ["x\u0085", 2, "U+0085"],
      ["\r\n", 1, "U+000D"],
    ] as const
  ) {
    assert.equal(controlCharacterAt(text), at - 1);
    assert.deepEqual(problems(policyOf({ ...policy, region: text })), [
      `region: must not contain control characters (U+0000-U+001F, U+007F-U+009F): ${name} at character ${at} of ${
        JSON.stringify(text)
      }`,
    ]);
    assert.match(
      problems(eventOf({ ...event, source: text }))[0]!,
      /^source: must not contain control characters/,
    );
    assert.match(
      problems(eventOf({ ...event, region: text }))[0]!,
      /^region: must not contain control characters/,
    );
  }
  for (const fine of ["Région Sud", "東京", "emoji 🌧", "a b", "¡\u00a0!"]) {
    assert.deepEqual(problems(policyOf({ ...policy, region: fine })), [], fine);
  }
});

test("lone surrogates are refused; surrogate pairs (emoji) are text", () => {
  assert.equal(loneSurrogateAt("🌧"), -1);
  assert.equal(loneSurrogateAt("a\ud800"), 1);
  assert.equal(loneSurrogateAt("\udc00a"), 0);
  assert.equal(loneSurrogateAt("\ud83c\udf27\ud800"), 2);
  assert.deepEqual(problems(policyOf({ ...policy, region: "\ud800" })), [
    'region: must be well-formed Unicode: a lone surrogate U+D800 at character 1 (an unpaired \\u escape in JSON?) of "\\ud800"',
  ]);
  assert.match(
    problems(eventOf({ ...event, source: "x\udfff" }))[0]!,
    /^source: .*lone surrogate U\+DFFF/,
  );
});

test("exact integers from their text: the value a float would round is refused", () => {
  const table: [string, number | undefined][] = [
    ["1000000", 1_000_000],
    ["1e6", 1_000_000],
    ["2500.0", 2500],
    ["25e2", 2500],
    ["-12e1", -120],
    ["100e-2", 1],
    ["-0", 0],
    ["0.000", 0],
    ["0e999999999", 0],
    ["9007199254740991", 9_007_199_254_740_991],
    ["1000000.00000000001", undefined],
    ["9007199254740993", undefined],
    ["9007199254740992", undefined],
    ["1.5", undefined],
    ["123e-1", undefined],
    ["1e400", undefined],
    ["1e-400", undefined],
    ["abc", undefined],
  ];
  for (const [text, value] of table) assert.equal(exactIntegerOf(text), value, text);

  const with_ = (field: string, text: string) =>
    problems(policyOf({ ...policy, [field]: new NumberText(text) }));
  assert.deepEqual(with_("sumInsured", "1000000.00000000001"), [
    "sumInsured: must be an integer amount in minor units from 1 to 1000000000000, got 1000000.00000000001",
  ]);
  assert.deepEqual(with_("periodCapBps", "6000.0000000000001"), [
    "periodCapBps: must be an integer number of basis points from 1 to 10000, got 6000.0000000000001",
  ]);
  const parsed = policyOf({
    ...policy,
    sumInsured: new NumberText("1e6"),
    tierPayoutsBps: { tier1: new NumberText("1000.0"), tier2: 2500, tier3: new NumberText("5e3") },
  });
  assert.ok(parsed.ok);
  assert.equal(parsed.value.sumInsured, 1_000_000);
  assert.deepEqual(parsed.value.tierPayoutsBps, { tier1: 1000, tier2: 2500, tier3: 5000 });
  // A measurement takes the nearest float; only one no float holds is refused.
  const measured = eventOf({ ...event, value: new NumberText("12.300000000000000001") });
  assert.ok(measured.ok);
  assert.equal(measured.value.value, 12.3);
  assert.deepEqual(problems(eventOf({ ...event, value: new NumberText("1e400") })), [
    "value: must be a finite number, got 1e400",
  ]);
});
