/**
 * The 50 MB import file: valid event rows (JSON Lines) with one bad row near the end, produced
 * as a stream of chunks so that neither the generator nor the test holds it in memory.
 */
import { createRandom } from "./prng.ts";

export interface BigFilePlan {
  /** Rows in the file, the bad one included. */
  rows: number;
  /** 1-based row number of the bad row. */
  badRow: number;
  /** The field the bad row gets wrong. */
  badField: string;
  chunks(): Generator<string>;
}

const CHUNK_ROWS = 5_000;

/**
 * Rows of about 150 bytes; the bad row (an observedAt without offset) sits in the last
 * 1% of the file, so that the whole file must be read before the import can refuse it.
 */
export function bigEventsFile(targetBytes: number, seed: number): BigFilePlan {
  // The mean line length of a sample of the same stream, plus 1% so the file is never short.
  const probe = createRandom(seed);
  let sampled = 0;
  for (let row = 1; row <= 2_000; row++) sampled += eventLine(row, probe, false).length + 1;
  const rows = Math.max(2, Math.ceil((targetBytes * 1.01) / (sampled / 2_000)));
  const badRow = rows - Math.max(1, Math.floor(rows / 200));
  return {
    rows,
    badRow,
    badField: "observedAt",
    *chunks() {
      const random = createRandom(seed);
      let lines: string[] = [];
      for (let row = 1; row <= rows; row++) {
        lines.push(eventLine(row, random, row === badRow));
        if (lines.length === CHUNK_ROWS) {
          yield lines.join("\n") + "\n";
          lines = [];
        }
      }
      if (lines.length > 0) yield lines.join("\n") + "\n";
    },
  };
}

function eventLine(row: number, random: ReturnType<typeof createRandom>, bad: boolean): string {
  const day = String(random.int(1, 28)).padStart(2, "0");
  const hour = String(random.int(0, 23)).padStart(2, "0");
  return JSON.stringify({
    id: `BIG-${String(row).padStart(7, "0")}`,
    region: random.pick(["coastal", "alpine", "delta", "plains"]),
    tier: random.pick(["tier1", "tier2", "tier3"]),
    observedAt: bad ? `2025-03-${day}T${hour}:00:00` : `2025-03-${day}T${hour}:00:00+01:00`,
    status: random.chance(0.02) ? "retracted" : "active",
    source: `gauge-${random.int(1, 999)}`,
    value: random.int(0, 99_999) / 100,
  });
}
