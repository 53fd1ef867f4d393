/**
 * The bad-input generator (issue 9): a deterministic list of malformed inputs for the CLI —
 * import files, `calc` inputs, flags and environment variables — each with the exit code and
 * the message it must produce. Seeded, so a run is reproducible and a failing case keeps its
 * name; independent of src/, so the expectations come from the spec, not from the code.
 *
 *   const cases = generateCases({ seed: 9, password: "s3cr3t-PASSWORD", closedPort: 1 });
 */
import { calcCases } from "./generator/calc-cases.ts";
import type { BadInputCase, CaseCategory } from "./generator/case.ts";
import { envCases } from "./generator/env-cases.ts";
import { importFileCases } from "./generator/file-cases.ts";
import { flagCases } from "./generator/flag-cases.ts";
import { createRandom } from "./generator/prng.ts";

export type { BadInputCase, CaseCategory, CaseFile } from "./generator/case.ts";
export {
  BASELINE_RANGE,
  baselineEvents,
  baselinePolicies,
  KNOWN_POLICY_ID,
} from "./generator/baseline.ts";
export { bigEventsFile, type BigFilePlan } from "./generator/big-file.ts";
export { createRandom } from "./generator/prng.ts";
export { serialise, toCsv, toJsonArray, toJsonLines } from "./generator/records.ts";

export const DEFAULT_SEED = 20250309;

export interface GenerateOptions {
  seed?: number;
  /** Put into every URL the cases pass; it must never appear in any output. */
  password: string;
  /** A 127.0.0.1 port nothing listens on (the unreachable-service cases). */
  closedPort: number;
  /** Random multi-row import files on top of the systematic ones. */
  mixedFiles?: number;
  /** Policy and event mutations sampled for `calc`, each. */
  calcPerKind?: number;
}

export function generateCases(options: GenerateOptions): BadInputCase[] {
  // One stream per category: adding cases to one category leaves the others as they were.
  const seed = options.seed ?? DEFAULT_SEED;
  const cases = [
    ...importFileCases(createRandom(seed), options.mixedFiles ?? 150),
    ...calcCases(createRandom(seed + 1), options.calcPerKind ?? 30),
    ...flagCases(createRandom(seed + 2)),
    ...envCases(createRandom(seed + 3), options),
  ];
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.name)) {
      throw new Error(`two generated cases are named ${JSON.stringify(c.name)}`);
    }
    seen.add(c.name);
  }
  return cases;
}

export function casesOf(
  cases: readonly BadInputCase[],
  ...categories: CaseCategory[]
): BadInputCase[] {
  return cases.filter((c) => categories.includes(c.category));
}
