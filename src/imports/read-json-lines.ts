/**
 * JSON Lines: one JSON object a line; blank lines are skipped. A line that is not JSON is a
 * problem of that row (reported with the others), not of the whole file.
 */
import type { RawRecord } from "./records.ts";
import { type ByteSink, readUtf8Chunks } from "./utf8-chunks.ts";

export async function* readJsonLines(file: string, sink?: ByteSink): AsyncGenerator<RawRecord> {
  let rest = "";
  let line = 0;
  let row = 0;
  const take = (text: string): RawRecord | undefined => {
    line++;
    const trimmed = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (trimmed.trim() === "") return undefined;
    row++;
    try {
      return { row, line, value: JSON.parse(trimmed) };
    } catch (error) {
      return { row, line, error: `not valid JSON: ${(error as Error).message}` };
    }
  };
  for await (const chunk of readUtf8Chunks(file, sink)) {
    const text = rest + chunk.text;
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      const record = take(text.slice(start, nl));
      start = nl + 1;
      if (record) yield record;
    }
    rest = text.slice(start);
  }
  if (rest !== "") {
    const record = take(rest);
    if (record) yield record;
  }
}
