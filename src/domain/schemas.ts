/**
 * The data contracts of SPEC §2 as zod schemas, and the TypeScript types inferred from them.
 * Objects are strict (an unknown field is an error, so a typo never silently drops data) and
 * every message names the rule and the bad value.
 */
import { z } from "zod";
import { isValidDate, isValidTimeZone } from "./calendar.ts";

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const MAX_SUM_INSURED = 1_000_000_000_000;
export const BPS_DENOMINATOR = 10_000;

export const TIERS = ["tier1", "tier2", "tier3"] as const;
export const PAYOUT_MODES = ["once_per_day", "per_event"] as const;
export const EVENT_STATUSES = ["active", "retracted"] as const;

const show = (value: unknown): string => {
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

const id = z.string({ error: (i) => `must be a string id, got ${show(i.input)}` }).regex(
  ID_PATTERN,
  {
    error: (i) =>
      `must match ${ID_PATTERN.source} (1-64 ASCII letters, digits, '_', '.', '-'; no ':'), got ${
        show(i.input)
      }`,
  },
);

const integerIn = (min: number, max: number, what = "an integer") =>
  z.number({ error: (i) => `must be ${what} from ${min} to ${max}, got ${show(i.input)}` })
    .refine((n) => Number.isInteger(n) && n >= min && n <= max, {
      error: (i) => `must be ${what} from ${min} to ${max}, got ${show(i.input)}`,
      abort: true,
    });

const calendarDate = z.string({ error: (i) => `must be a YYYY-MM-DD date, got ${show(i.input)}` })
  .refine(isValidDate, {
    error: (i) => `must be an existing YYYY-MM-DD date, got ${show(i.input)}`,
  });

const timezone = z.string({ error: (i) => `must be an IANA time zone name, got ${show(i.input)}` })
  .refine(isValidTimeZone, {
    error: (i) => `must be an IANA time zone name (e.g. UTC, Europe/Berlin), got ${show(i.input)}`,
  });

const ISO_INSTANT =
  /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Epoch milliseconds of an ISO-8601 instant with `Z` or an offset; NaN when it is not one. */
export function instantMs(value: string): number {
  const m = ISO_INSTANT.exec(value);
  if (!m || !isValidDate(m[1]!)) return Number.NaN;
  const [hh, mm, ss] = [Number(m[2]), Number(m[3]), Number(m[4] ?? "0")];
  if (hh > 23 || mm > 59 || ss > 59) return Number.NaN;
  const ms = Number((m[5] ?? "").padEnd(3, "0").slice(0, 3));
  const [y, mo, d] = m[1]!.split("-").map(Number) as [number, number, number];
  let offsetMin = 0;
  const zone = m[6]!;
  if (zone !== "Z" && zone !== "z") {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return Number.NaN;
    offsetMin = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(y, mo - 1, d);
  utc.setUTCHours(hh, mm, ss, ms);
  return utc.getTime() - offsetMin * 60_000;
}

const instant = z.string({
  error: (i) => `must be an ISO-8601 instant string, got ${show(i.input)}`,
})
  .refine((s) => !Number.isNaN(instantMs(s)), {
    error: (i) =>
      `must be an ISO-8601 instant with Z or an offset (e.g. 2025-03-30T01:30:00+01:00), got ${
        show(i.input)
      }`,
  });

const enumOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (i) => `must be one of ${values.join(", ")}, got ${show(i.input)}` });

const bps = integerIn(0, BPS_DENOMINATOR, "an integer number of basis points");

export const TierPayoutsSchema = z.strictObject({ tier1: bps, tier2: bps, tier3: bps }, {
  error: (i) =>
    i.code === "unrecognized_keys"
      ? `unknown field(s) ${i.keys.join(", ")}`
      : `must be an object { tier1, tier2, tier3 }, got ${show(i.input)}`,
}).superRefine((t, ctx) => {
  if (t.tier2 < t.tier1) {
    ctx.addIssue({
      code: "custom",
      path: ["tier2"],
      message: `must be >= tier1 (${t.tier1}), got ${t.tier2}`,
    });
  }
  if (t.tier3 < t.tier2) {
    ctx.addIssue({
      code: "custom",
      path: ["tier3"],
      message: `must be >= tier2 (${t.tier2}), got ${t.tier3}`,
    });
  }
});

const objectError = (what: string) => (i: { code: string; input?: unknown; keys?: string[] }) =>
  i.code === "unrecognized_keys"
    ? `unknown field(s) ${(i.keys ?? []).join(", ")}`
    : `must be ${what} object, got ${show(i.input)}`;

export const PolicySchema = z.strictObject({
  id,
  region: z.string({ error: (i) => `must be a string of 1-64 characters, got ${show(i.input)}` })
    .min(1, { error: (i) => `must be 1-64 characters, got ${show(i.input)}` })
    .max(64, { error: (i) => `must be 1-64 characters, got ${show(i.input)}` }),
  currency: z.string({ error: (i) => `must be a 3-letter ISO currency code, got ${show(i.input)}` })
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
}, { error: objectError("a policy") }).superRefine((p, ctx) => {
  if (p.coverageEnd < p.coverageStart) {
    ctx.addIssue({
      code: "custom",
      path: ["coverageEnd"],
      message: `must be >= coverageStart (${p.coverageStart}), got ${p.coverageEnd}`,
    });
  }
});

export const RiskEventSchema = z.strictObject({
  id,
  region: z.string({ error: (i) => `must be a string of 1-64 characters, got ${show(i.input)}` })
    .min(1, { error: (i) => `must be 1-64 characters, got ${show(i.input)}` })
    .max(64, { error: (i) => `must be 1-64 characters, got ${show(i.input)}` }),
  tier: enumOf(TIERS),
  observedAt: instant,
  status: enumOf(EVENT_STATUSES).default("active"),
  source: z.string({ error: (i) => `must be a string, got ${show(i.input)}` })
    .max(256, { error: () => "must be at most 256 characters" }).optional(),
  value: z.number({ error: (i) => `must be a finite number, got ${show(i.input)}` })
    .refine(Number.isFinite, { error: (i) => `must be a finite number, got ${show(i.input)}` })
    .optional(),
}, { error: objectError("an event") });

export const ClaimSchema = z.strictObject({
  policyId: id,
  claimDate: calendarDate,
  claimKey: z.string().min(1),
  tier: enumOf(TIERS),
  eventIds: z.array(id).min(1),
  uncappedBps: bps,
  payoutBps: bps,
  capped: z.boolean(),
  payoutAmount: integerIn(0, MAX_SUM_INSURED, "an integer amount in minor units"),
});

export const CalcInputSchema = z.strictObject({
  policy: PolicySchema,
  events: z.array(RiskEventSchema, {
    error: (i) => `must be an array of events, got ${show(i.input)}`,
  }),
}, { error: objectError("a { policy, events }") }).superRefine((input, ctx) => {
  const seen = new Map<string, number>();
  input.events.forEach((event, index) => {
    const first = seen.get(event.id);
    if (first !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["events", index, "id"],
        message: `duplicate event id ${show(event.id)} (first at events[${first}])`,
      });
    } else seen.set(event.id, index);
  });
});

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
  return error.issues.map((issue) => ({
    path: formatPath(root, issue.path),
    message: issue.message,
  }));
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
