/**
 * Holder identities: who holds a lock, readable by an operator looking at `claims locks`
 * (which host, which process, which Temporal workflow and attempt), plus a random part so that
 * two holders never share an identity even across pid reuse or container restarts.
 */
import crypto from "node:crypto";
import os from "node:os";
import process from "node:process";
import { ClaimsError, ErrorCodes } from "../errors.ts";

export const MAX_HOLDER_LENGTH = 256;

export interface HolderParts {
  /** Temporal activity attempt (1 for the first). */
  attempt?: number | undefined;
  /** Temporal workflow id (or `manual` for a CLI run). */
  workflowId?: string | undefined;
}

/** Slashes separate the parts; keep each part free of them and of whitespace. */
const clean = (part: string): string => part.replace(/[\s/]+/g, "_").slice(0, 120);

/** `host/pid[/workflowId][/attempt-N]/random`, e.g. `worker-3/4121/claim-calc:P1:2025-01-02/attempt-2/9f2c61d0`. */
export function holderId(parts: HolderParts = {}): string {
  const segments = [clean(os.hostname() || "unknown-host"), String(process.pid)];
  if (parts.workflowId !== undefined) segments.push(clean(parts.workflowId));
  if (parts.attempt !== undefined) {
    if (!Number.isSafeInteger(parts.attempt) || parts.attempt < 0) {
      throw new ClaimsError(
        ErrorCodes.INPUT_INVALID,
        `holder attempt must be a non-negative integer, got ${String(parts.attempt)}`,
      );
    }
    segments.push(`attempt-${parts.attempt}`);
  }
  segments.push(crypto.randomBytes(4).toString("hex"));
  return segments.join("/");
}

/** Checks a caller-supplied holder: 1-256 printable characters (it is shown to operators). */
export function assertHolder(holder: string): void {
  if (
    typeof holder !== "string" || holder.length === 0 || holder.length > MAX_HOLDER_LENGTH ||
    // deno-lint-ignore no-control-regex
    /[\x00-\x1f\x7f]/.test(holder)
  ) {
    throw new ClaimsError(
      ErrorCodes.INPUT_INVALID,
      `lock holder must be 1 to ${MAX_HOLDER_LENGTH} printable characters, got ${
        JSON.stringify(typeof holder === "string" ? holder.slice(0, 80) : holder)
      }`,
    );
  }
}
