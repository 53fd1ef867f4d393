/**
 * Issue 9, bad import files: every generated malformed policy and event file (JSON, JSON
 * Lines, CSV) through `policies import` / `events import` in-process: exit 2, the row and
 * field named, no password, no stack trace, and the database exactly as it was.
 */
import { test } from "../support/test.ts";
import { casesOf, generateCases } from "./generate.ts";
import { CLOSED_PORT, PASSWORD, useBadInputSuite } from "./support/suite.ts";

const suite = useBadInputSuite("badinput_files");
const cases = casesOf(generateCases({ password: PASSWORD, closedPort: CLOSED_PORT }), "file");

for (const c of cases.filter((x) => !x.processOnly)) {
  test(c.name, { timeout: 30_000 }, async () => {
    await suite.check(c);
  });
}
