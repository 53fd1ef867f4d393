/**
 * Bad command-line flags (SPEC §7): dates that do not exist, reversed ranges, ranges over ten
 * years, unknown policies, bad ids and numbers, missing or unknown flags and commands. The
 * message must name the flag (or the command) at fault.
 */
import { allOf, type BadInputCase, escapeRegExp } from "./case.ts";
import { BAD_IDS } from "./mutations.ts";
import type { Random } from "./prng.ts";
import { KNOWN_POLICY_ID } from "./baseline.ts";
import { toJsonLines, validEvent } from "./records.ts";

const BAD_DATES: readonly string[] = [
  "2025-02-30",
  "2025-02-29",
  "2025-13-01",
  "2025-00-01",
  "2025-04-31",
  "2025-01-32",
  "0000-01-01",
  "10000-01-01",
  "2025-1-1",
  "2025/01/01",
  "20250101",
  "01.02.2025",
  "yesterday",
  "",
  "2025-01-01T00:00:00Z",
  " 2025-01-01",
  "2025-01-01 ",
  "２０２５-01-01",
];

const SEED = ["--policies", "3", "--days", "2", "--events-per-day", "1", "--seed", "bad"];

function flagCase(name: string, argv: string[], message: RegExp): BadInputCase {
  return { name: `flag/${name}`, category: "flag", argv, env: {}, files: [], exitCode: 2, message };
}

const names = (flag: string) => new RegExp(`${escapeRegExp(flag)}\\b`);

/** Every command with a date flag, with the bad date in one of its places. */
function dateCases(): BadInputCase[] {
  const places: [string, (d: string) => string[], string][] = [
    ["report --from", (d) => ["report", "--from", d, "--to", "2025-03-31"], "--from"],
    ["report --to", (d) => ["report", "--from", "2025-03-01", "--to", d], "--to"],
    ["verify --from", (d) => ["verify", "--from", d], "--from"],
    ["verify --to", (d) => ["verify", "--to", d], "--to"],
    ["rerun --from", (d) => ["rerun", "--all", "--from", d, "--to", "2025-03-31"], "--from"],
    [
      "rerun --to",
      (d) => ["rerun", "--policy", KNOWN_POLICY_ID, "--from", "2025-03-01", "--to", d],
      "--to",
    ],
    [
      "schedule backfill --from",
      (d) => ["schedule", "backfill", "--from", d, "--to", "2025-03-31"],
      "--from",
    ],
    [
      "schedule backfill --to",
      (d) => ["schedule", "backfill", "--from", "2025-03-01", "--to", d],
      "--to",
    ],
    ["seed --start", (d) => ["seed", ...SEED, "--start", d], "--start"],
  ];
  return places.flatMap(([place, argv, flag]) =>
    BAD_DATES.map((d) =>
      flagCase(`${place} ${JSON.stringify(d)}`, argv(d), allOf([names(flag), /date/]))
    )
  );
}

function rangeCases(): BadInputCase[] {
  const commands: [string, (from: string, to: string) => string[]][] = [
    ["report", (f, t) => ["report", "--from", f, "--to", t]],
    ["verify", (f, t) => ["verify", "--from", f, "--to", t]],
    ["rerun --all", (f, t) => ["rerun", "--all", "--from", f, "--to", t]],
    ["rerun --policy", (f, t) => ["rerun", "--policy", KNOWN_POLICY_ID, "--from", f, "--to", t]],
    ["schedule backfill", (f, t) => ["schedule", "backfill", "--from", f, "--to", t]],
  ];
  const reversed = [
    ["2025-03-02", "2025-03-01"],
    ["2025-01-01", "2024-12-31"],
    ["9999-12-31", "0001-01-01"],
  ] as const;
  // Inclusive day counts: 3654, 9133 and 3,652,059 days, all over the 3,653 of ten years.
  const tooLong = [
    ["2015-01-01", "2025-01-01"],
    ["2000-01-01", "2025-01-01"],
    ["0001-01-01", "9999-12-31"],
  ] as const;
  const cases: BadInputCase[] = [];
  for (const [name, argv] of commands) {
    for (const [from, to] of reversed) {
      cases.push(
        flagCase(`${name} reversed ${from}..${to}`, argv(from, to), allOf([/--from/, /--to/])),
      );
    }
    if (name === "report" || name === "verify") continue; // no range limit: only a query
    for (const [from, to] of tooLong) {
      cases.push(
        flagCase(
          `${name} over 10 years ${from}..${to}`,
          argv(from, to),
          allOf([/--from/, /--to/, /10 years/]),
        ),
      );
    }
  }
  // A backfill of days whose daily run has not happened yet cannot be right.
  cases.push(
    flagCase(
      "schedule backfill in the future",
      ["schedule", "backfill", "--from", "2099-01-01", "--to", "2099-01-02"],
      /--to 2099-01-02/,
    ),
  );
  return cases;
}

function policyCases(random: Random): BadInputCase[] {
  const rerun = (...policy: string[]) => [
    "rerun",
    ...policy,
    "--from",
    "2025-03-01",
    "--to",
    "2025-03-02",
  ];
  const unknown = Array.from({ length: 12 }, (_, i) => `NO-SUCH-${i + 1}`);
  const cases = [
    flagCase(
      "rerun unknown policy",
      rerun("--policy", "NO-SUCH-1"),
      /--policy: unknown policy id "NO-SUCH-1"/,
    ),
    flagCase(
      "rerun a known and an unknown policy",
      rerun("--policy", `${KNOWN_POLICY_ID},NO-SUCH-2`),
      /--policy: unknown policy id "NO-SUCH-2"/,
    ),
    flagCase(
      "rerun 12 unknown policies",
      rerun(...unknown.flatMap((id) => ["--policy", id])),
      /--policy: unknown policy ids .*and 2 more/,
    ),
    flagCase(
      "rerun a policy id differing only in case",
      rerun("--policy", KNOWN_POLICY_ID.toLowerCase()),
      /--policy: unknown policy id/,
    ),
  ];
  const ids = random.sample(BAD_IDS.filter((id) => !id.includes(",")), 12);
  for (const id of ids) {
    cases.push(
      flagCase(`rerun --policy=${JSON.stringify(id)}`, rerun(`--policy=${id}`), /--policy/),
    );
    cases.push(
      flagCase(
        `report --policy=${JSON.stringify(id)}`,
        ["report", "--from", "2025-03-01", "--to", "2025-03-31", `--policy=${id}`],
        /--policy/,
      ),
    );
  }
  return cases;
}

function numberCases(): BadInputCase[] {
  const seedWith = (flag: string, value: string) => {
    const argv = [...SEED];
    argv[argv.indexOf(flag) + 1] = value;
    return ["seed", ...argv];
  };
  const cases: BadInputCase[] = [];
  const numbers: [string, (v: string) => string[], string, string[]][] = [
    ["seed --policies", (v) => seedWith("--policies", v), "--policies", [
      "-1",
      "abc",
      "1.5",
      "1e3",
      "10000001",
      "",
      "0x10",
      "99999999999999999999",
    ]],
    ["seed --days", (v) => seedWith("--days", v), "--days", ["0", "3661", "x", "-5", "7d"]],
    ["seed --events-per-day", (v) => seedWith("--events-per-day", v), "--events-per-day", [
      "-1",
      "10001",
      "many",
    ]],
    ["verify --limit", (v) => ["verify", "--limit", v], "--limit", ["-1", "x", "1000001", "1.0"]],
    ["verify --page-size", (v) => ["verify", "--page-size", v], "--page-size", [
      "0",
      "100001",
      "2.5",
      "Infinity",
    ]],
    [
      "events import --max-recalculate",
      (v) => ["events", "import", "new-events.jsonl", "--recalculate", "--max-recalculate", v],
      "--max-recalculate",
      ["0", "-3", "x", "10000001"],
    ],
  ];
  const events = toJsonLines([validEvent("NEW-MAXRECALC-1"), validEvent("NEW-MAXRECALC-2")]);
  for (const [name, argv, flag, values] of numbers) {
    for (const v of values) {
      const c = flagCase(`${name} ${JSON.stringify(v)}`, argv(v), names(flag));
      if (name.startsWith("events")) c.files = [{ path: "new-events.jsonl", content: events }];
      cases.push(c);
    }
  }
  for (const regions of [",,", "a b", "r".repeat(33), "dup,dup", "x'; DROP TABLE policies; --"]) {
    cases.push(
      flagCase(
        `seed --regions ${JSON.stringify(regions)}`,
        ["seed", ...SEED, "--regions", regions],
        /--regions/,
      ),
    );
  }
  cases.push(flagCase('seed --seed ""', seedWith("--seed", ""), /--seed/));
  cases.push(
    flagCase("seed --seed of 65 characters", seedWith("--seed", "s".repeat(65)), /--seed/),
  );
  // The data set would run past 9999-12-31, the last date SPEC §2 allows.
  cases.push(
    flagCase(
      "seed --start 9999-12-01 --days 3660",
      ["seed", ...seedWith("--days", "3660").slice(1), "--start", "9999-12-01"],
      allOf([/--start/, /days/, /9999-12-31/]),
    ),
  );
  return cases;
}

function usageCases(): BadInputCase[] {
  const u = (name: string, argv: string[], message: RegExp) =>
    flagCase(`usage: ${name}`, argv, message);
  return [
    u("report without flags", ["report"], /--from/),
    u("report without --to", ["report", "--from", "2025-03-01"], /--to/),
    u("report --from without a value", ["report", "--to", "2025-03-01", "--from"], /--from/),
    u('report --policy ""', [
      "report",
      "--from",
      "2025-03-01",
      "--to",
      "2025-03-31",
      "--policy",
      "",
    ], /--policy/),
    u("report --format xml", [
      "report",
      "--from",
      "2025-03-01",
      "--to",
      "2025-03-31",
      "--format",
      "xml",
    ], /--format/),
    u("report with an extra argument", [
      "report",
      "extra",
      "--from",
      "2025-03-01",
      "--to",
      "2025-03-31",
    ], /too many arguments|unknown|extra/),
    // The required --from is missing, and that is what commander names first.
    u("report --frm (typo)", ["report", "--frm", "2025-03-01", "--to", "2025-03-31"], /--fro?m/),
    u(
      "report with an unknown option",
      ["report", "--from", "2025-03-01", "--to", "2025-03-31", "--polcy", "BASE-P-01"],
      /--polcy/,
    ),
    u("rerun without --to", ["rerun", "--all", "--from", "2025-03-01"], /--to/),
    u(
      "rerun without policies",
      ["rerun", "--from", "2025-03-01", "--to", "2025-03-02"],
      /--policy.*--all|--all/,
    ),
    u("rerun --all and --policy", [
      "rerun",
      "--all",
      "--policy",
      KNOWN_POLICY_ID,
      "--from",
      "2025-03-01",
      "--to",
      "2025-03-02",
    ], /--policy.*--all/),
    u("rerun --policy without a value", [
      "rerun",
      "--from",
      "2025-03-01",
      "--to",
      "2025-03-02",
      "--policy",
    ], /--policy/),
    u("schedule backfill without --to", ["schedule", "backfill", "--from", "2025-03-01"], /--to/),
    u("schedule ensure --overlap NEVER", ["schedule", "ensure", "--overlap", "NEVER"], /--overlap/),
    u("schedule without a subcommand verb", ["schedule", "explode"], /explode/),
    u("seed without flags", ["seed"], /--policies|--days|--seed/),
    u("calc without --input", ["calc"], /--input/),
    u("policies import without a file", ["policies", "import"], /file/),
    u("events import without a file", ["events", "import"], /file/),
    u(
      "policies import two files",
      ["policies", "import", "a.json", "b.json"],
      /too many arguments/,
    ),
    u("an unknown command", ["claimz"], /claimz/),
    u("a misspelled command", ["polices", "import", "p.json"], /polices/),
    u("an unknown subcommand", ["policies", "export", "p.json"], /export/),
    u("locks --backend etcd", ["locks", "--backend", "etcd"], /--backend/),
    u("an unknown global option", ["--colour", "report"], /--colour/),
    u("verify --json=yes", ["verify", "--json=yes"], /--json/),
  ];
}

export function flagCases(random: Random): BadInputCase[] {
  return [
    ...dateCases(),
    ...rangeCases(),
    ...policyCases(random),
    ...numberCases(),
    ...usageCases(),
  ];
}
