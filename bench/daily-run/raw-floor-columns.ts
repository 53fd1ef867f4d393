/**
 * One chunk's writes as UNNEST columns (raw-floor-compute.ts fills them, raw-floor-sql.ts
 * sends them), each sent as one PostgreSQL array literal built here: postgres.js would escape
 * every element of a JS array one by one (a tenth of the floor's CPU), and it passes a string
 * given for an array parameter through as it is.
 */
const quote = (v: string) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** A PostgreSQL array literal of strings, every element quoted (an id may read "NULL"). */
export function arrayLiteral(values: readonly (string | null)[]): string {
  if (values.length === 0) return "{}";
  // Ids, hashes, tokens and dates hold neither quotes nor backslashes: one join, no escaping.
  if (!values.includes(null) && !/[\\"]/.test(values.join(""))) {
    return `{"${values.join('","')}"}`;
  }
  return `{${values.map((v) => (v === null ? "NULL" : quote(v))).join(",")}}`;
}

/** A PostgreSQL array literal of numbers (NULL for null). */
export function numberLiteral(values: readonly (number | null)[]): string {
  return `{${values.map((v) => (v === null ? "NULL" : String(v))).join(",")}}`;
}

/** Every column of a group as its literal (numbers unquoted, strings quoted). */
export function literals<T extends Record<string, readonly (string | number | null)[]>>(
  columns: T,
): Record<keyof T, string> {
  const out = {} as Record<keyof T, string>;
  for (const [name, values] of Object.entries(columns) as [keyof T, T[keyof T]][]) {
    out[name] = values.some((v) => typeof v === "number")
      ? numberLiteral(values as readonly (number | null)[])
      : arrayLiteral(values as readonly (string | null)[]);
  }
  return out;
}

/** The columns of every statement of a chunk's write, filled row by row. */
export class ChunkWrites {
  readonly ledger = {
    policyId: [] as string[],
    token: [] as string[],
    hash: [] as string[],
    events: [] as number[],
    claims: [] as number[],
    capped: [] as number[],
    bps: [] as number[],
    amount: [] as string[],
  };
  readonly upserts = {
    policyId: [] as string[],
    claimDate: [] as string[],
    claimKey: [] as string[],
    tier: [] as string[],
    eventIds: [] as string[],
    uncapped: [] as number[],
    payout: [] as number[],
    amount: [] as string[],
    capped: [] as string[],
    firstAt: [] as string[],
    token: [] as string[],
  };
  readonly deletes = {
    policyId: [] as string[],
    claimDate: [] as string[],
    claimKey: [] as string[],
    token: [] as string[],
  };
  readonly audit = {
    policyId: [] as string[],
    claimDate: [] as string[],
    claimKey: [] as string[],
    action: [] as string[],
    reason: [] as string[],
    oldTier: [] as (string | null)[],
    newTier: [] as (string | null)[],
    oldEventIds: [] as (string | null)[],
    newEventIds: [] as (string | null)[],
    oldUncapped: [] as (number | null)[],
    newUncapped: [] as (number | null)[],
    oldPayout: [] as (number | null)[],
    newPayout: [] as (number | null)[],
    oldAmount: [] as (string | null)[],
    newAmount: [] as (string | null)[],
    token: [] as string[],
  };
  /** Days whose claims changed: their ledger totals follow (the computed day's only if it existed). */
  readonly changedDays = {
    policyId: [] as string[],
    claimDate: [] as string[],
    token: [] as string[],
    claims: [] as number[],
    capped: [] as number[],
    bps: [] as number[],
    amount: [] as string[],
  };
}
