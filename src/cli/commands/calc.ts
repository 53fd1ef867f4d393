/**
 * `claims calc --input FILE`: the pure calculation of SPEC §3 over a policy's whole coverage
 * period, from a file, with no service involved. Invalid input prints one line per bad field
 * (path and rule) on stderr, nothing on stdout, and exits 2.
 */
import { calculatePeriod } from "../../domain/calculate.ts";
import { parseCalcInput } from "../../domain/schemas.ts";
import type { RegisterCommand } from "../context.ts";
import { ExitCode, writeJson } from "../io.ts";
import { readJsonFile } from "../read-json.ts";

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
      const raw = await readJsonFile(flags.input, ctx.io.cwd, "--input");
      if (raw.problems.length > 0) {
        ctx.io.stderr.write(
          raw.problems.map((p) => `${p.field || "(root)"}: ${p.message}\n`).join(""),
        );
        ctx.setExitCode(ExitCode.INVALID);
        return;
      }
      const parsed = parseCalcInput(raw.value);
      if (!parsed.ok) {
        ctx.io.stderr.write(
          parsed.problems.map((p) => `${p.path}: ${p.message}\n`).join(""),
        );
        ctx.setExitCode(ExitCode.INVALID);
        return;
      }
      const { policy, events } = parsed.value;
      writeJson(ctx.io.stdout, { claims: calculatePeriod(policy, events) });
    });
};
