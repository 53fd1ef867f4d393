/**
 * `claims calc --input FILE`: the pure calculation of SPEC §3 over a policy's whole coverage
 * period, from a file, with no service involved. Invalid input prints one line per bad field
 * (path and rule) on stderr, nothing on stdout, and exits 2.
 */
import type { RegisterCommand } from "../context.ts";

const EXAMPLE = `
Input: { "policy": { …SPEC §2 Policy }, "events": [ …SPEC §2 RiskEvent ] }
Output: { "claims": [ …SPEC §2 Claim, in canonical order ] }

Example:
  npm run claims -- calc --input policy-and-events.json
  deno run -A src/cli/main.ts calc --input policy-and-events.json`;

export const registerCalc: RegisterCommand = (program, ctx) => {
  program
    .command("calc")
    .description(
      "calculate one policy's claims for its whole coverage period from a JSON file " +
        "(pure: no database, no Temporal)",
    )
    .requiredOption("--input <file>", 'JSON file { "policy": {…}, "events": […] }')
    .addHelpText("after", EXAMPLE)
    .action(async (flags: { input: string }) => {
      const { run } = await import("../actions/calc.ts");
      await run(ctx, flags);
    });
};
