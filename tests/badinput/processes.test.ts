/**
 * Issue 9, end to end: a sample of the generated bad inputs through real processes of this
 * runtime (`node --import tsx src/cli/main.ts` under Node, `deno run -A src/cli/main.ts` under
 * Deno), to prove what a shell sees: the exit code, a message on stderr, nothing on stdout,
 * no stack trace and no password on either stream, and the database unchanged.
 */
import { test } from "../support/test.ts";
import { type BadInputCase, createRandom, DEFAULT_SEED, generateCases } from "./generate.ts";
import { CLOSED_PORT, PASSWORD, useBadInputSuite } from "./support/suite.ts";

const suite = useBadInputSuite("badinput_processes");
const all = generateCases({ password: PASSWORD, closedPort: CLOSED_PORT });

/** One of each kind of failure a user meets first; the rest of the sample is drawn at random. */
const MUST: readonly RegExp[] = [
  /^env\/TEMPORAL_ADDRESS unreachable/,
  /^env\/DATABASE_URL unreachable \| --verbose policies import$/,
  /^env\/REDIS_URL unreachable \(--backend redis\) \| locks$/,
  /^env\/DATABASE_URL user:password, no scheme \| --verbose /,
  /^env\/REDIS_URL database not a number/,
  /^env\/LOCK_TTL_MS="abc"/,
  /^file\/events\/csv\/not UTF-8: latin-1/,
  /^file\/mixed\/policies\/jsonl\//,
  /^file\/policies\/json\/empty file/,
  /^file\/events\/json\/duplicate id x2/,
  /^flag\/rerun --all over 10 years 2000-01-01/,
  /^flag\/schedule backfill over 10 years 2000-01-01/,
  /^flag\/rerun unknown policy$/,
  /^flag\/report reversed 2025-03-02/,
  /^flag\/usage: an unknown command$/,
  /^calc\/duplicate event id$/,
  /^flag\/seed --start 9999-12-01/,
];
const SAMPLE_SIZE = 20;
const CONCURRENCY = 3;

function sample(): BadInputCase[] {
  const chosen = MUST.map((pattern) => {
    const found = all.find((c) => pattern.test(c.name));
    if (!found) throw new Error(`no generated case matches ${pattern}`);
    return found;
  });
  // The cases the in-process tests leave out must be run here.
  for (const c of all.filter((x) => x.processOnly)) if (!chosen.includes(c)) chosen.push(c);
  const rest = all.filter((c) => !chosen.includes(c));
  return [...chosen, ...createRandom(DEFAULT_SEED).sample(rest, SAMPLE_SIZE - chosen.length)];
}

test(`${SAMPLE_SIZE} bad inputs as real processes`, { timeout: 240_000 }, async () => {
  const queue = sample();
  const failures: string[] = [];
  const timings: [number, string][] = [];
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      try {
        const run = await suite.check(c, "process");
        timings.push([run.ms, `${String(Math.round(run.ms)).padStart(6)} ms  ${c.name}`]);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  }));
  console.log(timings.sort((a, b) => a[0] - b[0]).map(([, line]) => line).join("\n"));
  if (failures.length > 0) throw new Error(failures.join("\n\n"));
});
