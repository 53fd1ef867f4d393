/** The validation step both import commands share, and the group commands they live under. */
import type { Command } from "commander";
import type { ImportKind } from "../../imports/records.ts";
import {
  type FileValidation,
  formatValidation,
  validateImportFile,
} from "../../imports/validate-file.ts";
import type { CliContext } from "../context.ts";
import { CliError, ExitCode, writeJson } from "../io.ts";
import { resolveFile } from "./ops-shared.ts";

export const FILE_FORMATS_HELP = `
File formats (chosen by extension):
  .json    a JSON array of objects (streamed: any size)
  .jsonl   JSON Lines: one object a line (blank lines are skipped)
  .csv     a header row naming the fields, nested ones flattened with dots
           (tierPayoutsBps.tier1); an empty cell is an absent optional field

Every row is validated before anything is written; with any bad row the command lists the
first 50 problems (row, field, rule), exits 2 and writes nothing. All rows are then written in
one transaction, by id: re-importing the same file changes nothing.`;

/** `claims policies` / `claims events`, created once whichever command registers first. */
export function groupCommand(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ??
    program.command(name).description(description);
}

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
