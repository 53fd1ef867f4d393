/**
 * Problems with an import file as a whole (missing, unreadable, not UTF-8, not JSON/CSV): one
 * message naming the file and, where there is one, the position. They map to exit code 2.
 */
import path from "node:path";
import { ClaimsError, ErrorCodes } from "../errors.ts";

export function fileError(file: string, message: string, cause?: unknown): ClaimsError {
  return new ClaimsError(
    ErrorCodes.INPUT_INVALID,
    `${path.basename(file)}: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}
