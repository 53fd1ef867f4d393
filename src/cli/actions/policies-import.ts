/** The body of `claims policies import FILE` (src/cli/commands/policies-import.ts). */
import { importPolicies } from "../../imports/import-file.ts";
import type { CliContext } from "../context.ts";
import { writeJson } from "../io.ts";
import { countsLine, validateOrFail } from "./import-common.ts";
import { withDatabase } from "./with-database.ts";

export async function run(
  ctx: CliContext,
  file: string,
  opts: { json?: boolean; dryRun?: boolean },
): Promise<void> {
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
}
