/**
 * Size limits of import files (docs/imports.md). A real record is a few hundred bytes; the
 * limits only keep a malformed or hostile file from costing unbounded time or memory.
 */
export { MAX_JSON_DEPTH } from "../json/strict-builder.ts";

/** The longest JSON Lines line, and the largest CSV record, read as one record: 1 MiB. */
export const MAX_RECORD_BYTES = 1024 * 1024;
