/** The shape of one generated bad input, and helpers to state what its message must say. */

export interface CaseFile {
  /** Path relative to the case's own directory (the CLI's working directory). */
  path: string;
  content: string | Uint8Array;
}

export type CaseCategory = "file" | "calc" | "flag" | "env";

export interface BadInputCase {
  /** Unique and stable: the same seed gives the same names, so a failure can be re-run. */
  name: string;
  category: CaseCategory;
  argv: string[];
  /** Environment variables set on top of the suite's baseline (DATABASE_URL etc.). */
  env: Record<string, string>;
  files: CaseFile[];
  /** 2: invalid input, nothing written; 3: a service is unreachable. */
  exitCode: 2 | 3;
  /** What stderr must contain: the field, flag or variable at fault. */
  message: RegExp;
  /**
   * It waits out a connect timeout (Temporal's, 5 s): run it in the sampled real processes
   * only, not once more in-process.
   */
  processOnly?: boolean;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * `row 3: tierPayoutsBps.tier1: …` or, for line-oriented files, `row 3 (line 4): …`.
 * With no field, the message must still point at the row.
 */
export function rowProblem(row: number, field: string): RegExp {
  const where = `row ${row}(?: \\(line \\d+\\))?: `;
  return new RegExp(field ? `${where}${escapeRegExp(field)}: ` : `${where}\\S`);
}

/** Every pattern must match, in any order. */
export function allOf(patterns: readonly RegExp[]): RegExp {
  return new RegExp(patterns.map((p) => `(?=[\\s\\S]*(?:${p.source}))`).join(""));
}
