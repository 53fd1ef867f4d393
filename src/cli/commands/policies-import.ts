/** `claims policies import FILE`: validated, all-or-nothing, idempotent import of policies. */
import { importPolicies } from "../../imports/import-file.ts";
import type { RegisterCommand } from "../context.ts";
import { writeJson } from "../io.ts";
import { countsLine, FILE_FORMATS_HELP, groupCommand, validateOrFail } from "./import-common.ts";
import { withDatabase } from "./ops-shared.ts";

export const registerPoliciesImport: RegisterCommand = (program, ctx) => {
  groupCommand(program, "policies", "manage policies")
    .command("import")
    .description("import policies from a .json, .jsonl or .csv file (upsert by id)")
    .argument("<file>", "the file to import")
    .option("--dry-run", "validate every row and write nothing")
    .option("--json", "print the result as JSON")
    .addHelpText("after", FILE_FORMATS_HELP)
    .action(async (file: string, opts: { json?: boolean; dryRun?: boolean }) => {
      const json = Boolean(opts.json);
      const validation = await validateOrFail(ctx, file, "policies", json);
      if (opts.dryRun) {
        const result = { file, kind: "policies", rows: validation.rows, valid: true, dryRun: true };
        if (json) writeJson(ctx.io.stdout, result);
        else {ctx.io.stdout.write(
            `${file}: all ${validation.rows} policies valid (dry run: nothing written)\n`,
          );}
        return;
      }
      const result = await withDatabase(
        ctx,
        `importing ${file}`,
        (database) => importPolicies(database.db, validation),
      );
      if (json) writeJson(ctx.io.stdout, { ...result, file });
      else ctx.io.stdout.write(countsLine("policies import", file, result) + "\n");
    });
};
