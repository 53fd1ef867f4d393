/** The validation step both import actions share, and their counts line. */
import type { ImportKind } from "../../imports/records.ts";
import {
  type FileValidation,
  formatValidation,
  validateImportFile,
} from "../../imports/validate-file.ts";
import type { CliContext } from "../context.ts";
import { resolveFile } from "../flags.ts";
import { CliError, ExitCode, writeJson } from "../io.ts";

const NOUN: Record<ImportKind, [string, string]> = {
  policies: ["policy", "policies"],
  events: ["event", "events"],
};

/**
 * Validates the whole file; returns the validation when every row is good, otherwise prints
 * the problems (JSON on stdout with --json) and ends the command with exit code 2.
 */
export async function validateOrFail<K extends ImportKind>(
  ctx: CliContext,
  fileArg: string,
  kind: K,
  json: boolean,
): Promise<FileValidation & { kind: K }> {
  const file = resolveFile(ctx, fileArg);
  const validation = await validateImportFile(file, kind) as FileValidation & { kind: K };
  const [one, many] = NOUN[kind];
  if (validation.rows === 0) {
    throw new CliError(
      `${fileArg}: the file holds no ${many}; nothing was written`,
      ExitCode.INVALID,
    );
  }
  const total = validation.problems.length + validation.moreProblems;
  if (total === 0) return validation;
  if (json) {
    writeJson(ctx.io.stdout, {
      ok: false,
      file: fileArg,
      kind,
      rows: validation.rows,
      invalidRows: validation.invalidRows,
      problems: validation.problems,
      moreProblems: validation.moreProblems,
    });
  }
  const head = `${fileArg}: ${validation.invalidRows} invalid ${
    validation.invalidRows === 1 ? one : many
  } of ${validation.rows} (${total} problem${total === 1 ? "" : "s"}); nothing was written`;
  throw new CliError(
    json ? head : [head, ...formatValidation(validation).map((l) => `  ${l}`)].join("\n"),
    ExitCode.INVALID,
  );
}

export function countsLine(
  verb: string,
  fileArg: string,
  r: { rows: number; inserted: number; updated: number; unchanged: number },
): string {
  const counts = `${r.inserted} inserted, ${r.updated} updated, ${r.unchanged} unchanged`;
  const nothing = r.inserted === 0 && r.updated === 0 ? " (nothing changed: already imported)" : "";
  return `${verb} ${fileArg}: ${r.rows} rows: ${counts}${nothing}`;
}
