/** The body of `claims calc` (src/cli/commands/calc.ts): read, validate, calculate, print. */
import { calculatePeriod } from "../../domain/calculate.ts";
import { parseCalcInput } from "../../domain/schemas.ts";
import type { CliContext } from "../context.ts";
import { ExitCode, writeJson } from "../io.ts";
import { readJsonFile } from "../read-json.ts";

export async function run(ctx: CliContext, flags: { input: string }): Promise<void> {
  const raw = await readJsonFile(flags.input, ctx.io.cwd, "--input");
  if (raw.problems.length > 0) {
    ctx.io.stderr.write(raw.problems.map((p) => `${p.field || "(root)"}: ${p.message}\n`).join(""));
    ctx.setExitCode(ExitCode.INVALID);
    return;
  }
  const parsed = parseCalcInput(raw.value);
  if (!parsed.ok) {
    ctx.io.stderr.write(parsed.problems.map((p) => `${p.path}: ${p.message}\n`).join(""));
    ctx.setExitCode(ExitCode.INVALID);
    return;
  }
  const { policy, events } = parsed.value;
  writeJson(ctx.io.stdout, { claims: calculatePeriod(policy, events) });
}
