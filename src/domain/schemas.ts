/**
 * The data contracts of SPEC §2 as zod schemas, and the TypeScript types inferred from them.
 * Objects are strict (an unknown field is an error, so a typo never silently drops data) and
 * every message names the rule and the bad value.
 */
import * as z from "zod";
import { isValidDate, isValidTimeZone } from "./calendar.ts";
import { ID_PATTERN } from "./ids.ts";
import {
  codePointName,
  controlCharacterAt,
  isSupportedDate,
  isSupportedInstantMs,
  loneSurrogateAt,
  SUPPORTED_DATES,
} from "./input-rules.ts";
import { instantMs } from "./instant.ts";
import { NumberText } from "./number-text.ts";

export { ID_PATTERN, instantMs };
export const MAX_SUM_INSURED = 1_000_000_000_000;
export const BPS_DENOMINATOR = 10_000;

export const TIERS = ["tier1", "tier2", "tier3"] as const;
export const PAYOUT_MODES = ["once_per_day", "per_event"] as const;
export const EVENT_STATUSES = ["active", "retracted"] as const;

const show = (value: unknown): string => {
  if (value instanceof NumberText) return value.text;
  if (typeof value === "string") {
    return JSON.stringify(value.length > 80 ? value.slice(0, 77) + "..." : value);
  }
  if (value === undefined) return "nothing";
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? text.slice(0, 77) + "..." : text;
  } catch {
    return String(value);
  }
};

/**
 * The error function of a typed field: "is required" when the field is missing, otherwise the
 * rule and the value actually given.
 */
const expected = (what: string) => (issue: { input?: unknown }): string =>
  issue.input === undefined
    ? `is required: must be ${what}`
    : `must be ${what}, got ${show(issue.input)}`;

const id = z.string({ error: expected("a string id") }).regex(ID_PATTERN, {
  error: (i) =>
    `must match ${ID_PATTERN.source} (1-64 ASCII letters, digits, '_', '.', '-'; no ':'), got ${
      show(i.input)
    }`,
});

const isIntegerIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;

const numberText = (value: unknown): NumberText | undefined =>
  value instanceof NumberText ? value : undefined;

/**
 * A number the readers kept as text (number-text.ts) becomes the exact integer it denotes;
 * one that is not an exact integer stays text, and z.number() refuses it with its text.
 * The declared input type stays `number` (what callers other than the readers pass).
 */
const exactInteger = <T extends z.ZodType>(schema: T) =>
  z.preprocess<unknown, T, number>(
    (value) => numberText(value)?.exactInteger() ?? value,
    schema,
  );

const integerIn = (min: number, max: number, what = "an integer") =>
  exactInteger(
    z.number({ error: expected(`${what} from ${min} to ${max}`) })
      .refine((n) => isIntegerIn(n, min, max), {
        // No `abort`: an explicitly aborted issue would stop the cross-field checks of the
        // enclosing objects, and every bad field must be reported in one run.
        error: (i) => `must be ${what} from ${min} to ${max}, got ${show(i.input)}`,
      }),
  );

/** Text that PostgreSQL stores as given and people can read: no controls, well-formed UTF-16. */
const readableText = <T extends z.ZodString>(schema: T) =>
  schema.superRefine((text, ctx) => {
    const control = controlCharacterAt(text);
    if (control >= 0) {
      ctx.addIssue({
        code: "custom",
        message: `must not contain control characters (U+0000-U+001F, U+007F-U+009F): ${
          codePointName(text, control)
        } at character ${control + 1} of ${show(text)}`,
      });
    }
    const surrogate = loneSurrogateAt(text);
    if (surrogate >= 0) {
      ctx.addIssue({
        code: "custom",
        message: `must be well-formed Unicode: a lone surrogate ${
          codePointName(text, surrogate)
        } at character ${surrogate + 1} (an unpaired \\u escape in JSON?) of ${show(text)}`,
      });
    }
  });

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

const calendarDate = z.string({ error: expected("a YYYY-MM-DD date") })
  .regex(DATE_SHAPE, { error: (i) => `must be a YYYY-MM-DD date, got ${show(i.input)}` })
  // Only a date of the right shape can fail to exist: one message per bad date, not two.
  .refine((s) => !DATE_SHAPE.test(s) || isValidDate(s), {
    error: (i) => `must be a date that exists (YYYY-MM-DD), got ${show(i.input)}`,
  })
  .refine((s) => !DATE_SHAPE.test(s) || !isValidDate(s) || isSupportedDate(s), {
    error: (i) =>
      `must be a date from ${SUPPORTED_DATES} (the supported range), got ${show(i.input)}`,
  });

const timezone = z.string({ error: expected("an IANA time zone name") })
  .refine(isValidTimeZone, {
    error: (i) =>
      `must be an IANA time zone name (e.g. UTC, Europe/Berlin, Asia/Kolkata; not a fixed offset), got ${
        show(i.input)
      }`,
  });

const instant = z.string({ error: expected("an ISO-8601 instant string") })
  // One parse for both rules: this runs for every event of every import.
  .superRefine((s, ctx) => {
    const ms = instantMs(s);
    if (Number.isNaN(ms)) {
      ctx.addIssue({
        code: "custom",
        message:
          `must be an ISO-8601 instant with Z or an offset (e.g. 2025-03-30T01:30:00+01:00), got ${
            show(s)
          }`,
      });
    } else if (!isSupportedInstantMs(ms)) {
      ctx.addIssue({
        code: "custom",
        message:
          `must be an instant on a UTC date from ${SUPPORTED_DATES} (the supported range), got ${
            show(s)
          }`,
      });
    }
  });

const enumOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: expected(`one of ${values.join(", ")}`) });

const region = readableText(
  z.string({ error: expected("a string of 1-64 characters") })
    .min(1, { error: (i) => `must be 1-64 characters, got ${show(i.input)}` })
    .max(64, { error: (i) => `must be 1-64 characters, got ${show(i.input)}` }),
);

const bps = integerIn(0, BPS_DENOMINATOR, "an integer number of basis points");

/** Marks the message of an unknown-fields issue so that `problemsOf` can split it per field. */
const ALLOWED_MARK = "; allowed: ";

const objectError = (what: string, fields: readonly string[]) =>
(
  i: { code: string; input?: unknown; keys?: string[] },
): string =>
  i.code === "unrecognized_keys"
    ? `unknown field(s) ${(i.keys ?? []).join(", ")}${ALLOWED_MARK}${fields.join(", ")}`
    : expected(what)(i);

const TIER_FIELDS = ["tier1", "tier2", "tier3"] as const;

export const TierPayoutsSchema = z.strictObject(
  { tier1: bps, tier2: bps, tier3: bps },
  { error: objectError("an object { tier1, tier2, tier3 }", TIER_FIELDS) },
).superRefine((t, ctx) => {
  // Each comparison is made once both of its tiers are valid, even when another field is bad,
  // so that one run reports every bad field.
  const valid = (n: unknown) => isIntegerIn(n, 0, BPS_DENOMINATOR);
  if (valid(t.tier1) && valid(t.tier2) && t.tier2 < t.tier1) {
    ctx.addIssue({
      code: "custom",
      path: ["tier2"],
      message: `must be >= tier1 (${t.tier1}), got ${t.tier2}`,
    });
  }
  if (valid(t.tier2) && valid(t.tier3) && t.tier3 < t.tier2) {
    ctx.addIssue({
      code: "custom",
      path: ["tier3"],
      message: `must be >= tier2 (${t.tier2}), got ${t.tier3}`,
    });
  }
}, { when: (payload) => isRecord(payload.value) });

const POLICY_FIELDS = [
  "id",
  "region",
  "currency",
  "sumInsured",
  "timezone",
  "coverageStart",
  "coverageEnd",
  "payoutMode",
  "tierPayoutsBps",
  "periodCapBps",
] as const;

export const PolicySchema = z.strictObject({
  id,
  region,
  currency: z.string({ error: expected("a 3-letter ISO 4217 currency code") })
    .regex(/^[A-Z]{3}$/, {
      error: (i) => `must be 3 upper-case letters (e.g. EUR), got ${show(i.input)}`,
    }),
  sumInsured: integerIn(1, MAX_SUM_INSURED, "an integer amount in minor units"),
  timezone: timezone.default("UTC"),
  coverageStart: calendarDate,
  coverageEnd: calendarDate,
  payoutMode: enumOf(PAYOUT_MODES),
  tierPayoutsBps: TierPayoutsSchema,
  periodCapBps: integerIn(1, BPS_DENOMINATOR, "an integer number of basis points"),
}, { error: objectError("a policy object", POLICY_FIELDS) }).superRefine((p, ctx) => {
  const start: unknown = p.coverageStart;
  const end: unknown = p.coverageEnd;
  if (
    typeof start === "string" && typeof end === "string" && isValidDate(start) &&
    isValidDate(end) && end < start
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["coverageEnd"],
      message: `must be >= coverageStart (${start}), got ${end}`,
    });
  }
}, { when: (payload) => isRecord(payload.value) });

const EVENT_FIELDS = [
  "id",
  "region",
  "tier",
  "observedAt",
  "status",
  "source",
  "value",
] as const;

export const RiskEventSchema = z.strictObject({
  id,
  region,
  tier: enumOf(TIERS),
  observedAt: instant,
  status: enumOf(EVENT_STATUSES).default("active"),
  source: readableText(
    z.string({ error: expected("a string") })
      .max(256, { error: (i) => `must be at most 256 characters, got ${show(i.input)}` }),
  ).optional(),
  // A measurement, not money: the nearest float of the text is what it means.
  value: z.preprocess<unknown, z.ZodNumber, number>(
    (value) => numberText(value)?.finiteNumber() ?? value,
    z.number({ error: expected("a finite number") })
      .refine(Number.isFinite, { error: (i) => `must be a finite number, got ${show(i.input)}` }),
  ).optional(),
}, { error: objectError("an event object", EVENT_FIELDS) });

export const ClaimSchema = z.strictObject({
  policyId: id,
  claimDate: calendarDate,
  claimKey: z.string({ error: expected('"day" or an event id') }).min(1),
  tier: enumOf(TIERS),
  eventIds: z.array(id, { error: expected("an array of event ids") }).min(1),
  uncappedBps: bps,
  payoutBps: bps,
  capped: z.boolean({ error: expected("a boolean") }),
  payoutAmount: integerIn(0, MAX_SUM_INSURED, "an integer amount in minor units"),
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const CalcInputSchema = z.strictObject({
  policy: PolicySchema,
  events: z.array(RiskEventSchema, { error: expected("an array of events") }),
}, { error: objectError("a { policy, events } object", ["policy", "events"]) })
  .superRefine((input, ctx) => {
    // Duplicates are reported even when other fields of the events are bad.
    const events: unknown = input.events;
    if (!Array.isArray(events)) return;
    const seen = new Map<string, number>();
    events.forEach((event: unknown, index) => {
      if (!isRecord(event) || typeof event["id"] !== "string") return;
      const eventId = event["id"];
      const first = seen.get(eventId);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["events", index, "id"],
          message: `duplicate event id ${show(eventId)} (first at events[${first}])`,
        });
      } else seen.set(eventId, index);
    });
  }, { when: (payload) => isRecord(payload.value) });

export type Tier = (typeof TIERS)[number];
export type PayoutMode = (typeof PAYOUT_MODES)[number];
export type TierPayouts = z.infer<typeof TierPayoutsSchema>;
export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;
export type RiskEvent = z.infer<typeof RiskEventSchema>;
export type RiskEventInput = z.input<typeof RiskEventSchema>;
export type Claim = z.infer<typeof ClaimSchema>;
export type CalcInput = z.infer<typeof CalcInputSchema>;

/** One validation problem: where (a dotted path from the root) and what is wrong. */
export interface ValidationProblem {
  path: string;
  message: string;
}

export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(root)";
}

/** Every problem of a zod error, each with its path under `root` (e.g. `policy.sumInsured`). */
export function problemsOf(error: z.ZodError, root = ""): ValidationProblem[] {
  return error.issues.flatMap((issue): ValidationProblem[] => {
    if (issue.code === "unrecognized_keys") {
      // One problem per unknown field, each at its own path: `policy.sumInsurd: unknown field`.
      const at = issue.message.indexOf(ALLOWED_MARK);
      const allowed = at >= 0 ? ` (allowed: ${issue.message.slice(at + ALLOWED_MARK.length)})` : "";
      return issue.keys.map((key) => ({
        path: formatPath(root, [...issue.path, key]),
        message: `unknown field${allowed}`,
      }));
    }
    return [{ path: formatPath(root, issue.path), message: issue.message }];
  });
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: ValidationProblem[] };

export function parseWith<T>(schema: z.ZodType<T>, input: unknown, root: string): Parsed<T> {
  const result = schema.safeParse(input);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problems: problemsOf(result.error, root) };
}

export const parsePolicy = (input: unknown, root = "policy") =>
  parseWith(PolicySchema, input, root);
export const parseEvent = (input: unknown, root = "event") =>
  parseWith(RiskEventSchema, input, root);
export const parseCalcInput = (input: unknown) => parseWith(CalcInputSchema, input, "");
