/** What both import commands share to declare themselves: the formats help and their groups. */
import type { Command } from "commander";

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
