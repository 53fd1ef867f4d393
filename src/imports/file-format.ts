import path from "node:path";
import { fileError } from "./file-errors.ts";
import type { FileFormat } from "./records.ts";

const EXTENSIONS: Record<string, FileFormat> = {
  ".json": "json",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".csv": "csv",
};

/** The format follows the extension (SPEC §7), case-insensitively; anything else is refused. */
export function formatOf(file: string): FileFormat {
  const ext = path.extname(file).toLowerCase();
  const format = EXTENSIONS[ext];
  if (!format) {
    throw fileError(
      file,
      `unknown file type ${ext ? `"${ext}"` : "(no extension)"}: use .json (an array of ` +
        "objects), .jsonl (one object a line) or .csv (a header row, nested fields as a.b)",
    );
  }
  return format;
}
