/**
 * CSV written for people's spreadsheets (src/cli/csv-cell.ts): OWASP's CSV-injection advice
 * for text cells, numbers as they are, RFC 4180 quoting for both.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import { csvCell, csvTextCell, quoteCsvField } from "../../../src/cli/csv-cell.ts";
import { csvField, renderCsv } from "../../../src/cli/format.ts";

test("text beginning with = + - @ tab or CR gets a leading quote and double quotes", () => {
  const table: [string, string][] = [
    ['=HYPERLINK("http://evil")', `"'=HYPERLINK(""http://evil"")"`],
    ["+1+1", `"'+1+1"`],
    ["-2+3", `"'-2+3"`],
    ["@SUM(A1:A2)", `"'@SUM(A1:A2)"`],
    ["\t=1", `"'\t=1"`],
    ["\r=1", `"'\r=1"`],
    ["-5", `"'-5"`],
  ];
  for (const [text, cell] of table) {
    assert.equal(csvTextCell(text), cell, JSON.stringify(text));
    assert.equal(csvCell(text), cell, JSON.stringify(text));
  }
});

test("other text is quoted only when RFC 4180 needs it; a formula character later on is harmless", () => {
  assert.equal(csvTextCell("coastal"), "coastal");
  assert.equal(csvTextCell("a,b"), '"a,b"');
  assert.equal(csvTextCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvTextCell("x=1"), "x=1");
  assert.equal(csvTextCell(" =1"), '" =1"');
  assert.equal(csvTextCell("2025-03-01"), "2025-03-01");
  assert.equal(quoteCsvField("=1"), "=1");
});

test("numbers and bigints are written as they are, negative ones included", () => {
  assert.equal(csvCell(-1250), "-1250");
  assert.equal(csvCell(-1250n), "-1250");
  assert.equal(csvCell(0), "0");
  assert.equal(csvCell(null), "");
  assert.equal(csvCell(undefined), "");
});

test("renderCsv escapes text cells (headers too) but not numeric ones; csvField stays plain for import files", () => {
  const rows = [{ region: "=cmd|' /C calc'!A0", amount: -3n, count: 2 }];
  const csv = renderCsv([
    { header: "region", value: (r: (typeof rows)[number]) => r.region },
    { header: "amount", value: (r) => r.amount },
    { header: "count", value: (r) => r.count },
  ], rows);
  assert.equal(csv, `region,amount,count\r\n"'=cmd|' /C calc'!A0",-3,2\r\n`);
  assert.equal(csvField("=x"), "=x");
});
