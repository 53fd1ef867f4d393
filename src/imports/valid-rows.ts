/**
 * The second pass of an import: the rows again, parsed, in batches for the bulk upserts. The
 * file was validated just before; if it changed in between, this pass refuses to go on (the
 * caller's transaction then rolls back) rather than write rows nobody validated.
 */
import crypto from "node:crypto";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import { readRecords } from "./read-records.ts";
import { type ImportKind, rowLabel } from "./records.ts";
import { type FileValidation, type ImportRow, parseRow } from "./validate-file.ts";

function changed(file: string, detail: string): ClaimsError {
  return new ClaimsError(
    ErrorCodes.INPUT_INVALID,
    `${file} changed while it was being imported (${detail}); nothing was written, run the ` +
      "import again",
  );
}

export async function* validRowBatches<K extends ImportKind>(
  validation: FileValidation & { kind: K },
  batchSize: number,
): AsyncGenerator<ImportRow<K>[]> {
  const hash = crypto.createHash("sha256");
  let batch: ImportRow<K>[] = [];
  let rows = 0;
  for await (
    const record of readRecords(validation.file, validation.kind, (b) => hash.update(b))
  ) {
    rows++;
    const parsed = parseRow(validation.kind, record.value);
    if ((record.problems?.length ?? 0) > 0 || !parsed.ok) {
      throw changed(validation.file, `${rowLabel(record)} is no longer valid`);
    }
    batch.push(parsed.value);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
  if (rows !== validation.rows || hash.digest("hex") !== validation.sha256) {
    throw changed(validation.file, "its content differs from the validated one");
  }
}
