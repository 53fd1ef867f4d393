/**
 * Issue 9, bad flags and bad `calc` inputs: dates that do not exist, reversed ranges, ranges
 * over ten years, unknown policies, bad ids and numbers, unknown commands; `calc` inputs with
 * one bad field each. In-process: exit 2 naming the flag or field, database unchanged.
 * `rerun` and `schedule backfill` must refuse bad flags before contacting Temporal (it is
 * unreachable here: contacting it first would end in exit 3 after a connect timeout).
 */
import { test } from "../support/test.ts";
import { casesOf, generateCases } from "./generate.ts";
import { CLOSED_PORT, PASSWORD, useBadInputSuite } from "./support/suite.ts";

const suite = useBadInputSuite("badinput_flags");
const cases = casesOf(
  generateCases({ password: PASSWORD, closedPort: CLOSED_PORT }),
  "flag",
  "calc",
);

for (const c of cases.filter((x) => !x.processOnly)) {
  test(c.name, { timeout: 30_000 }, async () => {
    await suite.check(c);
  });
}
