/**
 * Issue 9, bad environment variables: malformed and unreachable URLs (each with the suite's
 * password, some cases with --verbose), non-numeric TTLs and sizes, unknown choices, through
 * every command that reads the configuration. In-process: exit 2 naming the variable (3 for
 * a service that does not answer), the password never printed, the database unchanged.
 */
import { test } from "../support/test.ts";
import { casesOf, generateCases } from "./generate.ts";
import { CLOSED_PORT, PASSWORD, useBadInputSuite } from "./support/suite.ts";

const suite = useBadInputSuite("badinput_env");
const cases = casesOf(generateCases({ password: PASSWORD, closedPort: CLOSED_PORT }), "env");

for (const c of cases.filter((x) => !x.processOnly)) {
  test(c.name, { timeout: 30_000 }, async () => {
    await suite.check(c);
  });
}
