/**
 * What every bad import file case shares: the two import kinds, ids no other case and no
 * baseline row uses (so a half-written import shows in the checksum), and the case itself.
 */
import type { BadInputCase } from "./case.ts";
import type { Random } from "./prng.ts";
import type { ImportKind } from "./records.ts";

export const KINDS: readonly ImportKind[] = ["policies", "events"];
export const NOUN: Record<ImportKind, string> = { policies: "policies", events: "events" };

export class Ids {
  private serial = 0;
  /** A prefix no other case and no baseline row uses. */
  next(kind: ImportKind): string {
    this.serial++;
    return `${kind === "policies" ? "NP" : "NE"}${String(this.serial).padStart(4, "0")}`;
  }
}

function importArgv(kind: ImportKind, file: string, random: Random): string[] {
  // --recalculate must not reach Temporal (unreachable in this suite) before validation.
  const extra = kind === "events" && random.chance(0.15) ? ["--recalculate"] : [];
  return [kind, "import", file, ...extra];
}

export function fileCase(
  name: string,
  kind: ImportKind,
  file: string,
  content: string | Uint8Array,
  message: RegExp,
  random: Random,
): BadInputCase {
  return {
    name,
    category: "file",
    argv: importArgv(kind, file, random),
    env: {},
    files: [{ path: file, content }],
    exitCode: 2,
    message,
  };
}
