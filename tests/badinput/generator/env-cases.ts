/**
 * Bad environment variables (SPEC §7: validated at start-up, one line naming the variable):
 * malformed or unreachable URLs, non-numeric TTLs and sizes, unknown choices. Every URL holds
 * the suite's password, which must never be printed, even with --verbose.
 */
import { allOf, type BadInputCase, escapeRegExp } from "./case.ts";
import { KNOWN_POLICY_ID } from "./baseline.ts";
import type { Random } from "./prng.ts";
import { toCsv, toJsonLines, validEvent, validPolicy } from "./records.ts";

export interface EnvCaseOptions {
  password: string;
  /** A 127.0.0.1 port nothing listens on. */
  closedPort: number;
}

interface ConfigCommand {
  name: string;
  argv: string[];
  /** It talks to PostgreSQL (so an unreachable DATABASE_URL is exit 3 for it). */
  usesDatabase: boolean;
}

/** Commands that read the configuration; each would write or read real data if it were valid. */
const COMMANDS: readonly ConfigCommand[] = [
  { name: "migrate", argv: ["migrate"], usesDatabase: true },
  { name: "locks", argv: ["locks", "--backend", "postgres"], usesDatabase: true },
  { name: "policies import", argv: ["policies", "import", "new-policies.csv"], usesDatabase: true },
  { name: "events import", argv: ["events", "import", "new-events.jsonl"], usesDatabase: true },
  {
    name: "seed",
    argv: ["seed", "--policies", "3", "--days", "2", "--events-per-day", "1", "--seed", "env"],
    usesDatabase: true,
  },
  {
    name: "report",
    argv: ["report", "--from", "2025-03-01", "--to", "2025-03-31"],
    usesDatabase: true,
  },
  { name: "verify", argv: ["verify"], usesDatabase: true },
  {
    name: "rerun",
    argv: ["rerun", "--policy", KNOWN_POLICY_ID, "--from", "2025-03-01", "--to", "2025-03-02"],
    usesDatabase: true,
  },
  { name: "worker", argv: ["worker", "--no-migrate"], usesDatabase: false },
];

/** Valid new rows: if a bad configuration were not caught first, they would be written. */
function commandFiles() {
  return [
    {
      path: "new-policies.csv",
      content: toCsv("policies", [validPolicy("NEW-ENV-P1"), validPolicy("NEW-ENV-P2")]),
    },
    { path: "new-events.jsonl", content: toJsonLines([validEvent("NEW-ENV-E1")]) },
  ];
}

const badValues = (pw: string): readonly [string, readonly string[]][] => [
  ["LOCK_TTL_MS", [
    "abc",
    "12.5",
    "-1",
    "1e3",
    "0x10",
    "99",
    "86400001",
    "120000ms",
    "１２０",
    "2 minutes",
    "NaN",
    "Infinity",
    "99999999999999999999",
  ]],
  ["LOCK_BACKEND", ["etcd", "REDIS", "redis,postgres", "zookeeper"]],
  ["DATABASE_POOL_MAX", ["0", "many", "501", "-4"]],
  ["METRICS_PORT", ["65536", "-1", "http", "80.5", "9464/metrics"]],
  [
    "TEMPORAL_ADDRESS",
    [
      "localhost",
      "127.0.0.1:99999",
      `http://temporal:${pw}@127.0.0.1:7233`,
      `grpc://temporal:${pw}@127.0.0.1:7233`,
      "127.0.0.1:",
      "127.0.0.1:0",
      "127.0.0.1 7233",
    ],
  ],
  ["TEMPORAL_NAMESPACE", ["   ", "n".repeat(256)]],
  ["TEMPORAL_TASK_QUEUE", ["\t", "q".repeat(256)]],
  ["WORKER_MAX_CONCURRENT_ACTIVITIES", ["0", "eight", "1001"]],
  ["WORKER_MAX_CONCURRENT_WORKFLOW_TASKS", ["1", "ten"]],
  ["WORKER_SHUTDOWN_GRACE_MS", ["1.5", "-1", "30s"]],
  ["CLAIMS_BATCH_SIZE", ["0", "10001", "big"]],
  ["CLAIMS_BATCH_CONCURRENCY", ["101", "0"]],
  ["CLAIMS_PAGE_SIZE", ["x", "100001"]],
  ["CLAIMS_CHUNK_SIZE", ["-5", "1e2"]],
  ["CLAIMS_HEARTBEAT_TIMEOUT_MS", ["999", "30 s"]],
  ["SCHEDULE_TIME", ["25:00", "1pm", "13:60", "13:00:00", "1300"]],
  ["SCHEDULE_TIMEZONE", ["Mars/Base", "Europe/Berln", "local"]],
  ["SCHEDULE_CATCHUP_WINDOW", ["1 day", "-1d", "P1D", "forever"]],
  ["SCHEDULE_OVERLAP", ["NEVER", "skip-all"]],
  ["SCHEDULE_ID", ["  "]],
  ["LOG_LEVEL", ["verbose", "TRACE", "5"]],
  ["TEMPORAL_TLS", ["yes", "1", "TRUE"]],
];

function badDatabaseUrls(pw: string, closedPort: number): [string, string][] {
  return [
    ["no scheme", `postgres:${pw}@127.0.0.1:5432/claims`],
    ["user:password, no scheme", `u:${pw}@127.0.0.1:5432/claims`],
    ["mysql scheme", `mysql://u:${pw}@127.0.0.1:3306/claims`],
    ["http scheme", `http://u:${pw}@127.0.0.1:5432/claims`],
    ["a Redis URL", `redis://default:${pw}@127.0.0.1:6379/0`],
    ["'//' without ':'", `postgres//u:${pw}@127.0.0.1:5432/claims`],
    ["one slash", `postgres:/u:${pw}@127.0.0.1:5432/claims`],
    ["port out of range", `postgres://u:${pw}@127.0.0.1:99999/claims`],
    ["port not a number", `postgres://u:${pw}@127.0.0.1:port/claims`],
    ["no host", `postgres://u:${pw}@/claims`],
    ["a space in the host", `postgres://u:${pw}@127.0.0.1 5432/claims`],
    ["'/' in the password", `postgres://u:${pw}/x@127.0.0.1:5432/claims`],
    ["an unclosed IPv6 bracket", `postgres://u:${pw}@[::1/claims`],
    ["an unknown sslmode", `postgres://u:${pw}@127.0.0.1:${closedPort}/claims?sslmode=bogus`],
    ["password in the query", `postgres:///claims?host=&password=${pw}`],
  ];
}

function badRedisUrls(pw: string): [string, string][] {
  return [
    ["database not a number", `redis://default:${pw}@127.0.0.1:6379/abc`],
    ["two path segments", `redis://default:${pw}@127.0.0.1:6379/1/2`],
    ["http scheme", `http://default:${pw}@127.0.0.1:6379/0`],
    ["a PostgreSQL URL", `postgres://default:${pw}@127.0.0.1:6379/0`],
    ["'//' without ':'", `redis//default:${pw}@127.0.0.1:6379/0`],
    ["user:password, no scheme", `default:${pw}@127.0.0.1:6379`],
    ["port out of range", `redis://default:${pw}@127.0.0.1:99999/0`],
    ["no host", `redis://default:${pw}@/0`],
  ];
}

function envCase(
  name: string,
  command: ConfigCommand,
  env: Record<string, string>,
  exitCode: 2 | 3,
  message: RegExp,
  verbose = false,
): BadInputCase {
  return {
    name: `env/${name} | ${verbose ? "--verbose " : ""}${command.name}`,
    category: "env",
    argv: verbose ? ["--verbose", ...command.argv] : [...command.argv],
    env,
    files: commandFiles(),
    exitCode,
    message,
  };
}

export function envCases(random: Random, options: EnvCaseOptions): BadInputCase[] {
  const { password: pw, closedPort } = options;
  const cases: BadInputCase[] = [];
  for (const [variable, values] of badValues(pw)) {
    for (const value of values) {
      for (const command of random.sample(COMMANDS, 3)) {
        cases.push(envCase(
          `${variable}=${JSON.stringify(value)}`,
          command,
          { [variable]: value },
          2,
          new RegExp(`${variable}: `),
        ));
      }
    }
  }
  const tlsPair = { TEMPORAL_TLS_CERT_PATH: "/etc/claims/client.pem" };
  for (const command of random.sample(COMMANDS, 3)) {
    cases.push(
      envCase("TEMPORAL_TLS_CERT_PATH without a key", command, tlsPair, 2, /TEMPORAL_TLS_KEY_PATH/),
    );
  }
  const urls: [string, string, [string, string][]][] = [
    ["DATABASE_URL", "DATABASE_URL", badDatabaseUrls(pw, closedPort)],
    ["REDIS_URL", "REDIS_URL", badRedisUrls(pw)],
  ];
  for (const [variable, named, list] of urls) {
    for (const [label, url] of list) {
      for (const [i, command] of random.sample(COMMANDS, 3).entries()) {
        const env = { [variable]: url };
        const message = new RegExp(`${named}: `);
        cases.push(envCase(`${variable} ${label}`, command, env, 2, message, i === 0));
      }
    }
  }
  // Valid URLs of services that do not answer: exit 3, naming the service and where.
  const where = new RegExp(escapeRegExp(`127.0.0.1:${closedPort}`));
  const database = `postgres://postgres:${pw}@127.0.0.1:${closedPort}/claims`;
  for (const command of COMMANDS.filter((c) => c.usesDatabase)) {
    for (const verbose of [false, true]) {
      cases.push(envCase(
        "DATABASE_URL unreachable",
        command,
        { DATABASE_URL: database },
        3,
        allOf([/PostgreSQL/, where]),
        verbose,
      ));
    }
  }
  const redis = `redis://default:${pw}@127.0.0.1:${closedPort}/0`;
  for (const backend of ["redis", "all"]) {
    for (const verbose of [false, true]) {
      cases.push(envCase(
        `REDIS_URL unreachable (--backend ${backend})`,
        { name: "locks", argv: ["locks", "--backend", backend], usesDatabase: true },
        { REDIS_URL: redis },
        3,
        allOf([/Redis/, /REDIS_URL/, where]),
        verbose,
      ));
    }
  }
  // Temporal that does not answer, with an API key (the password) that must not be printed.
  cases.push({
    ...envCase(
      "TEMPORAL_ADDRESS unreachable, TEMPORAL_API_KEY set",
      { name: "schedule describe", argv: ["schedule", "describe"], usesDatabase: false },
      { TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}`, TEMPORAL_API_KEY: pw },
      3,
      allOf([/Temporal/, /TEMPORAL_ADDRESS/, where]),
    ),
    processOnly: true,
  });
  return cases;
}
