/**
 * One bad field each: how to break a valid row, which formats can carry the break (a CSV cell
 * is always text, so "a number where a string belongs" exists only in JSON), and which field
 * the error message must name. The expectations come from SPEC §2, not from the code.
 */
import {
  type FileFormat,
  FORMATS,
  type ImportKind,
  RawJson,
  RawNumber,
  RawObject,
  type Row,
  type Value,
} from "./records.ts";

export interface RowMutation {
  kind: ImportKind;
  label: string;
  /** The dotted field path the message must name; "" when the row as a whole is bad. */
  field: string;
  formats: readonly FileFormat[];
  apply(row: Row): Value;
  /**
   * It ends the reading of a .json file (nesting too deep): only alone in a file, never in
   * the mixed files, and not in calc inputs (whose path to the field differs).
   */
  alone?: boolean;
}

const JSON_FORMATS: readonly FileFormat[] = ["json", "jsonl"];

function clone(row: Row): Row {
  return structuredClone(row) as Row;
}

function setPath(row: Row, path: string, value: Value | undefined): Row {
  const out = clone(row);
  const keys = path.split(".");
  let node: Row = out;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== "object" || Array.isArray(next)) node[key] = {};
    node = node[key] as Row;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return out;
}

const describe = (value: Value): string =>
  value instanceof RawNumber
    ? value.text
    : value instanceof RawJson
    ? `${value.text.slice(0, 12)}…(${value.text.length} chars)`
    : typeof value === "string" && value.length > 24
    ? `${JSON.stringify(value.slice(0, 12))}…(${value.length} chars)`
    : JSON.stringify(value);

function setTo(
  kind: ImportKind,
  field: string,
  value: Value,
  note = "",
  formats: readonly FileFormat[] = FORMATS,
): RowMutation {
  return {
    kind,
    label: `${field} = ${describe(value)}${note ? ` (${note})` : ""}`,
    field,
    formats,
    apply: (row) => setPath(row, field, value),
  };
}

/** Types a CSV cell cannot express: in CSV the value would be text, often a valid one. */
const jsonOnly = (kind: ImportKind, field: string, value: Value, note = "") =>
  setTo(kind, field, value, note || "wrong type", JSON_FORMATS);

/** A required field left out (in CSV: its cell left empty, which means absent). */
const missing = (kind: ImportKind, field: string): RowMutation => ({
  kind,
  label: `${field} missing`,
  field,
  formats: FORMATS,
  apply: (row) => setPath(row, field, undefined),
});

/** Several fields at once, the message naming one of them (cross-field rules). */
const setMany = (
  kind: ImportKind,
  label: string,
  field: string,
  values: Record<string, Value>,
): RowMutation => ({
  kind,
  label,
  field,
  formats: FORMATS,
  apply: (row) => Object.entries(values).reduce((r, [k, v]) => setPath(r, k, v), row),
});

/** The whole row replaced by something that is not an object (JSON formats only). */
const notAnObject = (kind: ImportKind, value: Value): RowMutation => ({
  kind,
  label: `row is ${describe(value)}, not an object`,
  field: "",
  formats: JSON_FORMATS,
  apply: () => value,
});

/** The same key twice in the row's object, the second value different (JSON formats only). */
const duplicateKey = (kind: ImportKind, field: string, second: Value): RowMutation => ({
  kind,
  label: `${field} twice in one object`,
  field,
  formats: JSON_FORMATS,
  apply: (row) => new RawObject([...Object.entries(row), [field, second]]),
});

/**
 * `field` nested 200,000 arrays deep. The reader stops at the limit (8 levels from the
 * outermost value), so the path it names depends on how deep the row itself sits: one level
 * in JSON Lines, two in a .json array (one level less of `[0]` in the path).
 */
const tooDeep = (kind: ImportKind, field: string): RowMutation[] =>
  (["jsonl", "json"] as const).map((format) => {
    const levels = 8 - (format === "jsonl" ? 1 : 2) - field.split(".").length + 1;
    return {
      kind,
      label: `${field} nested 200,000 deep (${format})`,
      field: field + "[0]".repeat(levels),
      formats: [format],
      alone: true,
      apply: (row: Row) =>
        setPath(row, field, new RawJson("[".repeat(200_000) + "1" + "]".repeat(200_000))),
    };
  });

/** Text fields refuse C0 and C1 controls and DEL (any format), lone surrogates (JSON only). */
function textMutations(kind: ImportKind, field: string): RowMutation[] {
  return [
    setTo(kind, field, "coa\u0000stal", "NUL"),
    setTo(kind, field, "tab\there", "a tab"),
    setTo(kind, field, "esc\u001b[31m", "an escape sequence"),
    setTo(kind, field, "del\u007f", "DEL"),
    setTo(kind, field, "c1\u0085", "a C1 control"),
    setTo(kind, field, "\ud800", "a lone surrogate", JSON_FORMATS),
    setTo(kind, field, "x\udc00", "a lone low surrogate", JSON_FORMATS),
  ];
}

/** Ids SPEC §2 forbids: `:` (lock keys), quotes, SQL, non-ASCII, too long, bad first char. */
export const BAD_IDS: readonly string[] = [
  "P:1",
  "lock:claim_calc:P-1:2025-03-01",
  'P"1',
  "P'1",
  "x'; DROP TABLE policies; --",
  "Robert'); DROP TABLE claims;--",
  "1 OR 1=1",
  "-leading-dash",
  "_leading_underscore",
  ".leading.dot",
  "a".repeat(65),
  "pé",
  "P\u00a01",
  "P 1",
  "P/1",
  "P;1",
  "P\\1",
  "P,1",
  "line\nbreak",
  "tab\there",
  "emoji-🙂",
  "%00",
];

const HUGE_NUMBERS = [
  new RawNumber("1e400"),
  new RawNumber("99999999999999999999999"),
  new RawNumber("9007199254740993"),
  new RawNumber("1e20"),
];

const BAD_DATES: readonly string[] = [
  "2025-02-30",
  "2025-02-29",
  "2024-02-30",
  "2100-02-29",
  "2025-04-31",
  "2025-13-01",
  "2025-00-10",
  "2025-03-00",
  "2025-03-32",
  "0000-01-01",
  "10000-01-01",
  "2025/03/01",
  "20250301",
  "2025-3-1",
  "01-03-2025",
  "2025-03-01T00:00:00Z",
  " 2025-03-01",
  "yesterday",
  // They exist, but outside the supported range (0002-01-01 .. 9998-12-31).
  "0001-01-01",
  "0001-12-31",
  "9999-01-01",
  "9999-12-31",
];

const BAD_ZONES: readonly string[] = [
  "Mars/Olympus_Mons",
  "Europe/Berln",
  "+01:00",
  "UTC+1",
  "America/New York",
  "Europe/",
  "../../etc/passwd",
  "Asia/Kolkata\n",
];

const BAD_INSTANTS: readonly string[] = [
  "2025-03-10T12:00:00",
  "2025-03-10T12:00",
  "2025-03-10",
  "2025-02-30T12:00:00Z",
  "2025-03-10T24:00:00Z",
  "2025-03-10T12:60:00Z",
  "2025-03-10T12:00:60Z",
  "2025-03-10T12:00:00+24:00",
  "2025-03-10T12:00:00+0100",
  "2025-03-10T12:00:00 Z",
  "2025-03-10 12:00:00Z",
  "2025-03-10T12:00:00Europe/Berlin",
  "1741608000",
  "now",
  // Instants, but outside the supported range (PostgreSQL or the calendar would fail later).
  "9999-12-31T23:59:59-14:00",
  "9999-01-01T00:00:00Z",
  "0001-01-01T00:00:00Z",
  "0001-12-31T23:59:59+00:00",
];

function idMutations(kind: ImportKind): RowMutation[] {
  return [
    ...BAD_IDS.map((id) => setTo(kind, "id", id)),
    missing(kind, "id"),
    jsonOnly(kind, "id", 42),
    jsonOnly(kind, "id", null),
    jsonOnly(kind, "id", ["P-1"]),
    duplicateKey(kind, "id", "OTHER-ID"),
  ];
}

function regionMutations(kind: ImportKind): RowMutation[] {
  return [
    ...textMutations(kind, "region"),
    duplicateKey(kind, "region", "elsewhere"),
    missing(kind, "region"),
    setTo(kind, "region", "r".repeat(65), "65 characters"),
    jsonOnly(kind, "region", ""),
    jsonOnly(kind, "region", 7),
    jsonOnly(kind, "region", false),
  ];
}

function policyMutations(): RowMutation[] {
  const k = "policies" as const;
  const bpsFields = ["tierPayoutsBps.tier1", "tierPayoutsBps.tier2", "tierPayoutsBps.tier3"];
  return [
    ...idMutations(k),
    ...regionMutations(k),
    ...["eur", "EURO", "E1R", "€UR", " EUR", "US"].map((c) => setTo(k, "currency", c)),
    missing(k, "currency"),
    jsonOnly(k, "currency", 978),
    setTo(k, "sumInsured", 0, "zero"),
    setTo(k, "sumInsured", -1, "negative money"),
    setTo(k, "sumInsured", -500_000, "negative money"),
    setTo(k, "sumInsured", 1.5, "fraction"),
    setTo(k, "sumInsured", 0.01, "fraction"),
    setTo(k, "sumInsured", 1_000_000_000_001, "above 10^12"),
    ...HUGE_NUMBERS.map((n) => setTo(k, "sumInsured", n, "huge number")),
    // Not integers, though a float rounds them to one.
    setTo(k, "sumInsured", new RawNumber("1000000.00000000001"), "not exactly an integer"),
    setTo(k, "sumInsured", new RawNumber("999999999999.99999"), "not exactly an integer"),
    setTo(k, "tierPayoutsBps.tier1", new RawNumber("1000.0000000000001"), "not an integer"),
    setTo(k, "periodCapBps", new RawNumber("6000.000000000001"), "not an integer"),
    duplicateKey(k, "sumInsured", 2_000_000),
    ...tooDeep(k, "tierPayoutsBps.tier2"),
    ...["1,000", "NaN", "Infinity", "0x10", "12abc", "1 000", "€100"].map((s) =>
      setTo(k, "sumInsured", s)
    ),
    missing(k, "sumInsured"),
    jsonOnly(k, "sumInsured", "1000"),
    jsonOnly(k, "sumInsured", true),
    jsonOnly(k, "sumInsured", null),
    ...BAD_ZONES.map((z) => setTo(k, "timezone", z, "unknown zone")),
    jsonOnly(k, "timezone", ""),
    jsonOnly(k, "timezone", 1),
    jsonOnly(k, "timezone", null),
    ...BAD_DATES.map((d) => setTo(k, "coverageStart", d)),
    ...BAD_DATES.slice(0, 10).map((d) => setTo(k, "coverageEnd", d)),
    setTo(k, "coverageEnd", "9999-12-31", "outside the supported range"),
    missing(k, "coverageStart"),
    missing(k, "coverageEnd"),
    jsonOnly(k, "coverageEnd", 20250331),
    setMany(k, "coverage reversed (end before start)", "coverageEnd", {
      coverageStart: "2025-04-01",
      coverageEnd: "2025-03-31",
    }),
    setMany(k, "coverage reversed by years", "coverageEnd", {
      coverageStart: "2030-01-01",
      coverageEnd: "2025-12-31",
    }),
    ...["daily", "ONCE_PER_DAY", "once per day", "per-event"].map((m) => setTo(k, "payoutMode", m)),
    missing(k, "payoutMode"),
    jsonOnly(k, "payoutMode", 1),
    ...bpsFields.flatMap((f) => [
      setTo(k, f, -1, "negative"),
      setTo(k, f, 10_001, "above 10000"),
      setTo(k, f, 2.5, "fraction"),
      setTo(k, f, "abc"),
      setTo(k, f, new RawNumber("1e400"), "huge number"),
      missing(k, f),
    ]),
    jsonOnly(k, "tierPayoutsBps.tier1", null),
    jsonOnly(k, "tierPayoutsBps", "1000/2500/5000"),
    jsonOnly(k, "tierPayoutsBps", [1000, 2500, 5000]),
    jsonOnly(k, "tierPayoutsBps.tier4", 9000, "unknown tier"),
    setMany(k, "tier2 below tier1", "tierPayoutsBps.tier2", {
      "tierPayoutsBps.tier1": 3000,
      "tierPayoutsBps.tier2": 2500,
      "tierPayoutsBps.tier3": 5000,
    }),
    setMany(k, "tier3 below tier2", "tierPayoutsBps.tier3", {
      "tierPayoutsBps.tier1": 1000,
      "tierPayoutsBps.tier2": 2500,
      "tierPayoutsBps.tier3": 2000,
    }),
    ...[0, -1, 10_001, 2.5, "all"].map((v) => setTo(k, "periodCapBps", v)),
    setTo(k, "periodCapBps", new RawNumber("1e20"), "huge number"),
    missing(k, "periodCapBps"),
    jsonOnly(k, "sumInsurd", 1_000_000, "unknown field (a typo)"),
    jsonOnly(k, "created_at", "2025-01-01", "unknown field"),
    notAnObject(k, 5),
    notAnObject(k, "P-1"),
    notAnObject(k, null),
    notAnObject(k, ["P-1", "coastal"]),
  ];
}

function eventMutations(): RowMutation[] {
  const k = "events" as const;
  return [
    ...idMutations(k),
    ...regionMutations(k),
    ...["tier4", "tier0", "TIER1", "Tier1", "tier 1", "high"].map((t) => setTo(k, "tier", t)),
    missing(k, "tier"),
    jsonOnly(k, "tier", 1),
    jsonOnly(k, "tier", null),
    ...BAD_INSTANTS.map((t) => setTo(k, "observedAt", t, "not an instant with Z or offset")),
    missing(k, "observedAt"),
    jsonOnly(k, "observedAt", 1741608000000),
    jsonOnly(k, "observedAt", null),
    ...["deleted", "ACTIVE", "retract", "inactive"].map((s) => setTo(k, "status", s)),
    jsonOnly(k, "status", ""),
    jsonOnly(k, "status", true),
    setTo(k, "source", "s".repeat(257), "257 characters"),
    ...textMutations(k, "source"),
    duplicateKey(k, "observedAt", "2025-03-11T12:00:00Z"),
    ...tooDeep(k, "value"),
    jsonOnly(k, "source", 5),
    jsonOnly(k, "source", null),
    ...["abc", "NaN", "Infinity", "-Infinity", "1,5"].map((v) => setTo(k, "value", v)),
    setTo(k, "value", new RawNumber("1e400"), "huge number: not finite"),
    setTo(k, "value", new RawNumber("-1e999"), "huge number: not finite"),
    jsonOnly(k, "value", true),
    jsonOnly(k, "value", null),
    jsonOnly(k, "value", { amount: 5 }),
    jsonOnly(k, "severity", 3, "unknown field"),
    jsonOnly(k, "policyId", "P-1", "unknown field"),
    notAnObject(k, 7),
    notAnObject(k, "E-1"),
    notAnObject(k, null),
    notAnObject(k, []),
  ];
}

export function rowMutations(kind: ImportKind): RowMutation[] {
  return kind === "policies" ? policyMutations() : eventMutations();
}
