/**
 * Reads a JSON file for a command: a missing, unreadable, non-UTF-8 or malformed file is an
 * input error (exit 2) whose message names the file, the flag and what is wrong. Parsed with
 * the imports' strict rules (src/json): nesting and duplicate keys come back as problems at
 * their path, numbers as exact text where a float would change them.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { type BuiltRecord, JsonDepthError, JsonSyntaxError } from "../json/strict-builder.ts";
import { parseStrictJsonText } from "../json/parse-strict.ts";
import { CliError, ExitCode } from "./io.ts";

const REASONS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a directory, not a file",
  ENOTDIR: "a part of the path is not a directory",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the path is too long",
};

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Line and column (1-based, in characters) of a character offset of a text. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const lastNewline = before.lastIndexOf("\n");
  const line = before.split("\n").length;
  return `line ${line}, column ${before.length - lastNewline}`;
}

/**
 * The parsed JSON value of `file` (relative to `cwd`), with the problems found while reading
 * it (field paths from the top). `flag` names where the path came from (e.g. `--input`).
 */
export async function readJsonFile(file: string, cwd: string, flag: string): Promise<BuiltRecord> {
  const full = path.resolve(cwd, file);
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(full);
  } catch (error) {
    const code = errorCode(error);
    const reason = (code && REASONS[code]) ??
      (error instanceof Error ? error.message : String(error));
    throw new CliError(`${flag} ${file}: cannot read the file: ${reason}`, ExitCode.INVALID, {
      cause: error,
    });
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw new CliError(`${flag} ${file}: not UTF-8 text`, ExitCode.INVALID, { cause: error });
  }
  if (text.trim() === "") { // trim() also drops a byte-order mark
    throw new CliError(`${flag} ${file}: the file is empty; expected JSON`, ExitCode.INVALID);
  }
  try {
    // The lexer skips a BOM some editors write.
    return parseStrictJsonText(text);
  } catch (error) {
    if (error instanceof JsonDepthError) {
      return { value: undefined, problems: [{ field: error.field, message: error.message }] };
    }
    if (!(error instanceof JsonSyntaxError)) throw error;
    throw new CliError(
      `${flag} ${file}: not valid JSON at ${lineAndColumn(text, error.offset)}: ${error.message}`,
      ExitCode.INVALID,
      { cause: error },
    );
  }
}
