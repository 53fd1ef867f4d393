/**
 * Flag parsers the operator commands share: a bad value is a usage error (exit 2) naming the
 * flag. Light on purpose (no driver, no zod): command modules load it to build `--help`.
 */
import path from "node:path";
import { InvalidArgumentError } from "commander";
import { isValidDate } from "../domain/calendar.ts";
import { ID_PATTERN } from "../domain/ids.ts";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import type { CliContext } from "./context.ts";

export function resolveFile(ctx: CliContext, file: string): string {
  return path.resolve(ctx.io.cwd, file);
}

/** Commander argument parsers: a bad value is a usage error (exit 2) naming the flag. */
export function dateFlag(flag: string) {
  return (value: string): string => {
    if (!isValidDate(value)) {
      throw new InvalidArgumentError(`${flag} must be an existing YYYY-MM-DD date, got "${value}"`);
    }
    return value;
  };
}

export function integerFlag(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${flag} must be an integer from ${min} to ${max}, got "${value}"`,
      );
    }
    return n;
  };
}

export function idFlag(flag: string) {
  return (value: string): string => {
    if (!ID_PATTERN.test(value)) {
      throw new InvalidArgumentError(
        `${flag} must be an id matching ${ID_PATTERN.source}, got "${value}"`,
      );
    }
    return value;
  };
}

/** `--from`/`--to` must come in order. */
export function checkRange(from: string | undefined, to: string | undefined): void {
  if (from !== undefined && to !== undefined && from > to) {
    throw new ClaimsError(ErrorCodes.INPUT_INVALID, `--from ${from} is after --to ${to}`);
  }
}
