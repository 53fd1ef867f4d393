/**
 * Reads a JSON file for a command: a missing, unreadable, non-UTF-8 or malformed file is an
 * input error (exit 2) whose message names the file, the flag and what is wrong.
 */
import fs from "node:fs/promises";
import path from "node:path";
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

/**
 * The parsed JSON value of `file` (relative to `cwd`). `flag` names where the path came from,
 * for the messages (e.g. `--input`).
 */
export async function readJsonFile(file: string, cwd: string, flag: string): Promise<unknown> {
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
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM some editors write
  if (text.trim() === "") {
    throw new CliError(`${flag} ${file}: the file is empty; expected JSON`, ExitCode.INVALID);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new CliError(`${flag} ${file}: not valid JSON: ${detail}`, ExitCode.INVALID, {
      cause: error,
    });
  }
}
