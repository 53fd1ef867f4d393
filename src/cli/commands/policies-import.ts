/** `claims policies import FILE`: validated, all-or-nothing, idempotent import of policies. */
import type { RegisterCommand } from "../context.ts";
import { FILE_FORMATS_HELP, groupCommand } from "./import-common.ts";

export const registerPoliciesImport: RegisterCommand = (program, ctx) => {
  groupCommand(program, "policies", "manage policies")
    .command("import")
    .description("import policies from a .json, .jsonl or .csv file (upsert by id)")
    .argument("<file>", "the file to import")
    .option("--dry-run", "validate every row and write nothing")
    .option("--json", "print the result as JSON")
    .addHelpText("after", FILE_FORMATS_HELP)
    .action(async (file: string, opts: { json?: boolean; dryRun?: boolean }) => {
      const { run } = await import("../actions/policies-import.ts");
      await run(ctx, file, opts);
    });
};
