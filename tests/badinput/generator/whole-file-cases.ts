/**
 * Import files that are bad as a whole: empty, without rows, not UTF-8 (a stray byte, an
 * overlong form, a surrogate, a cut sequence, UTF-16), not JSON, a broken CSV header or row,
 * a wrong extension, no file at all. The message must name the file and what is wrong.
 */
import { allOf, type BadInputCase, escapeRegExp, rowProblem } from "./case.ts";
import { fileCase, type Ids, KINDS, NOUN } from "./import-case.ts";
import type { Random } from "./prng.ts";
import { CSV_HEADER, FORMATS, jsonText, serialise, toCsv, validRow } from "./records.ts";

const encoder = new TextEncoder();

function concat(...parts: (string | number[] | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) => typeof p === "string" ? encoder.encode(p) : Uint8Array.from(p));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Byte sequences that are not UTF-8 (RFC 3629), put inside a field of a valid row. */
const NOT_UTF8: readonly [string, number[]][] = [
  ["latin-1 é", [0xe9]],
  ["lone continuation byte", [0x80]],
  ["overlong '/'", [0xc0, 0xaf]],
  ["UTF-16 surrogate", [0xed, 0xa0, 0x80]],
  ["bytes FF FE", [0xff, 0xfe]],
  ["5-byte lead", [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ["above U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
];

function utf16le(text: string): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  out[0] = 0xff;
  out[1] = 0xfe;
  for (let i = 0; i < text.length; i++) {
    out[2 + i * 2] = text.charCodeAt(i) & 0xff;
    out[3 + i * 2] = text.charCodeAt(i) >> 8;
  }
  return out;
}

function encodingCases(random: Random, ids: Ids): BadInputCase[] {
  const cases: BadInputCase[] = [];
  const named = (file: string) => allOf([new RegExp(escapeRegExp(file)), /UTF-8/]);
  for (const kind of KINDS) {
    for (const format of FORMATS) {
      for (const [label, bytes] of NOT_UTF8) {
        const prefix = ids.next(kind);
        const rows = [0, 1, 2].map((i) => validRow(kind, `${prefix}-${i}`, random));
        const text = serialise(kind, format, rows);
        // Inside the region of the last row: "coas<bad>tal".
        const cut = text.lastIndexOf(String(rows[2]!["region"])) + 4;
        const file = `${prefix}.${format}`;
        cases.push(fileCase(
          `file/${kind}/${format}/not UTF-8: ${label}`,
          kind,
          file,
          concat(text.slice(0, cut), bytes, text.slice(cut)),
          named(file),
          random,
        ));
      }
      const prefix = ids.next(kind);
      const text = serialise(kind, format, [validRow(kind, `${prefix}-0`, random)]);
      const truncated = `${prefix}-cut.${format}`;
      cases.push(fileCase(
        `file/${kind}/${format}/not UTF-8: sequence cut at the end of the file`,
        kind,
        truncated,
        concat(text, [0xe2, 0x82]),
        named(truncated),
        random,
      ));
      const wide = `${prefix}-utf16.${format}`;
      cases.push(fileCase(
        `file/${kind}/${format}/not UTF-8: the whole file in UTF-16LE`,
        kind,
        wide,
        utf16le(text),
        named(wide),
        random,
      ));
    }
  }
  return cases;
}

function emptyCases(random: Random, ids: Ids): BadInputCase[] {
  const cases: BadInputCase[] = [];
  for (const kind of KINDS) {
    for (const format of FORMATS) {
      const prefix = ids.next(kind);
      const empty = `${prefix}-empty.${format}`;
      cases.push(fileCase(
        `file/${kind}/${format}/empty file (0 bytes)`,
        kind,
        empty,
        "",
        allOf([new RegExp(escapeRegExp(empty)), /empty/]),
        random,
      ));
      const blank = `${prefix}-blank.${format}`;
      cases.push(fileCase(
        `file/${kind}/${format}/only whitespace`,
        kind,
        blank,
        format === "csv" ? "\r\n\r\n" : " \n\t\n  \n",
        allOf([new RegExp(escapeRegExp(blank)), /empty|no JSON|holds no|no CSV header/]),
        random,
      ));
      const none = `${prefix}-none.${format}`;
      const noRows = format === "json"
        ? "[]\n"
        : format === "jsonl"
        ? "\n\n"
        : CSV_HEADER[kind].join(",") + "\r\n";
      cases.push(fileCase(
        `file/${kind}/${format}/no rows`,
        kind,
        none,
        noRows,
        allOf([new RegExp(escapeRegExp(none)), new RegExp(`holds no ${NOUN[kind]}`)]),
        random,
      ));
    }
  }
  return cases;
}

function jsonSyntaxCases(random: Random, ids: Ids): BadInputCase[] {
  const cases: BadInputCase[] = [];
  for (const kind of KINDS) {
    const prefix = ids.next(kind);
    const row = (i: number) => jsonText(validRow(kind, `${prefix}-${i}`, random));
    const broken: [string, string, RegExp][] = [
      ["trailing comma", `[${row(0)},${row(1)},]`, /invalid JSON/],
      ["missing comma", `[${row(0)} ${row(1)}]`, /invalid JSON/],
      ["unquoted key", `[{id: "${prefix}-2"}]`, /invalid JSON/],
      ["single quotes", `[{'id': '${prefix}-3'}]`, /invalid JSON/],
      ["a comment", `[\n// policies\n${row(4)}]`, /invalid JSON/],
      ["NaN literal", `[${row(5).replace(/"region":"\w+"/, '"region":NaN')}]`, /invalid JSON/],
      ["cut inside an object", `[${row(6)},${row(7).slice(0, 40)}`, /invalid JSON/],
      ["no closing bracket", `[${row(8)}`, /invalid JSON.*(truncated|ends before)/],
      ["an object, not an array", row(9), /expected a JSON array/],
      ["a string, not an array", `"${prefix}"`, /expected a JSON array/],
      ["a number, not an array", "42", /expected a JSON array/],
      ["null, not an array", "null", /expected a JSON array/],
      ["a closing bracket only", "]", /invalid JSON|expected a JSON array/],
      ["two arrays", `[${row(10)}][${row(11)}]`, /invalid JSON/],
      ["JSON Lines in a .json file", `${row(12)}\n${row(13)}\n`, /expected a JSON array/],
      ["garbage after the array", `[${row(14)}] trailing`, /invalid JSON/],
    ];
    broken.forEach(([label, content, pattern], i) => {
      const file = `${prefix}-${i}.json`;
      cases.push(fileCase(
        `file/${kind}/json/not JSON: ${label}`,
        kind,
        file,
        content,
        allOf([new RegExp(escapeRegExp(file)), pattern]),
        random,
      ));
    });
    // One record a line, at most 1 MiB: a line over the cap is a bad row, read in linear time.
    const long = jsonText({
      ...validRow(kind, `${prefix}-31`, random),
      region: "r".repeat(1_100_000),
    });
    const lines: [string, string, number][] = [
      ["a line over the 1 MiB cap", `${row(32)}\n${long}\n${row(33)}\n`, 2],
      ["a line that is not JSON", `${row(20)}\n{id: 1}\n${row(21)}\n`, 2],
      ["a line cut short", `${row(22)}\n${row(23)}\n${row(24).slice(0, 30)}\n`, 3],
      ["two objects on a line", `${row(25)} ${row(26)}\n`, 1],
      ["a JSON array as a line", `${row(27)}\n[${row(28)}]\n`, 2],
      ["a JSON array file in .jsonl", `[${row(29)},\n${row(30)}]\n`, 1],
    ];
    lines.forEach(([label, content, at], i) => {
      const file = `${prefix}-${i}.jsonl`;
      cases.push(fileCase(
        `file/${kind}/jsonl/${label}`,
        kind,
        file,
        content,
        rowProblem(at, ""),
        random,
      ));
    });
  }
  return cases;
}

function csvShapeCases(random: Random, ids: Ids): BadInputCase[] {
  const cases: BadInputCase[] = [];
  for (const kind of KINDS) {
    const prefix = ids.next(kind);
    const rows = [0, 1, 2].map((i) => validRow(kind, `${prefix}-${i}`, random));
    const good = toCsv(kind, rows).split("\r\n");
    const header = CSV_HEADER[kind];
    const lines = (replaceHeader: string, body = good.slice(1)) =>
      [replaceHeader, ...body].join("\r\n");
    const withColumn = (name: string) => toCsv(kind, rows, [...header, name]);
    const required = kind === "policies" ? "currency" : "tier";
    const dropAt = header.indexOf(required);
    const dropped = good.map((line) =>
      line === "" ? line : line.split(",").filter((_, i) => i !== dropAt).join(",")
    );
    const shapes: [string, string, RegExp][] = [
      ["an extra column", withColumn("extra"), /unknown column "extra"/],
      ["an extra nested column", withColumn("tierPayoutsBps.tier4"), /unknown column/],
      ["a missing column", dropped.join("\r\n"), new RegExp(`missing column.*${required}`)],
      [
        "a column twice",
        lines(`${header.join(",")},region`, good.slice(1).map((l) => l && `${l},x`)),
        /"region" appears twice/,
      ],
      [
        "a column without a name",
        lines(`${header.join(",")},`, good.slice(1).map((l) => l && `${l},`)),
        /column \d+ has no name/,
      ],
      [
        "header in upper case",
        lines(header.map((h) => h.toUpperCase()).join(",")),
        /unknown column "ID"/,
      ],
      [
        "semicolon separated",
        good.map((l) => l.replaceAll(",", ";")).join("\r\n"),
        /unknown column|missing column/,
      ],
      [
        "a row with an extra cell",
        [...good.slice(0, 3), `${good[3]},surplus`].join("\r\n"),
        /line 4/,
      ],
      [
        "a row with a cell missing",
        [...good.slice(0, 2), good[2]!.replace(/,[^,]*$/, "")].join("\r\n"),
        /line 3/,
      ],
      ["an unclosed quote", [...good.slice(0, 2), `"${good[2]}`].join("\r\n"), /CSV|quote/i],
      [
        "a quote inside a bare cell",
        [...good.slice(0, 2), good[2]!.replace(",", ',a"b')].join("\r\n"),
        /CSV|quote/i,
      ],
      ["no header row (data first)", good.slice(1).join("\r\n"), /header|unknown column/],
    ];
    shapes.forEach(([label, content, pattern], i) => {
      const file = `${prefix}-${i}.csv`;
      cases.push(fileCase(
        `file/${kind}/csv/${label}`,
        kind,
        file,
        content,
        allOf([new RegExp(escapeRegExp(file)), pattern]),
        random,
      ));
    });
    // An id cell with a separator or quote must be quoted; the CSV writer does it right, and
    // the id is still invalid (SPEC §2), whatever the quoting.
    const quoted = `${prefix}-q.csv`;
    const bad = validRow(kind, `x","y`, random);
    cases.push(fileCase(
      `file/${kind}/csv/quoted id with a quote and a comma`,
      kind,
      quoted,
      toCsv(kind, [rows[0]!, bad]),
      rowProblem(2, "id"),
      random,
    ));
  }
  return cases;
}

function pathCases(random: Random, ids: Ids): BadInputCase[] {
  const cases: BadInputCase[] = [];
  for (const kind of KINDS) {
    const prefix = ids.next(kind);
    const content = serialise(kind, "json", [validRow(kind, `${prefix}-0`, random)]);
    for (const ext of [".txt", ".xml", ".yaml", ".jsonx", "", ".json.bak", ".csv.gz"]) {
      const file = `${prefix}-ext${ext}`;
      cases.push(fileCase(
        `file/${kind}/extension "${ext || "(none)"}"`,
        kind,
        file,
        content,
        /unknown file type/,
        random,
      ));
    }
    const missing = `${prefix}-missing.json`;
    cases.push({
      ...fileCase(`file/${kind}/no such file`, kind, missing, "", /not found/, random),
      files: [],
    });
    const dir = `${prefix}-dir.json`;
    cases.push({
      ...fileCase(
        `file/${kind}/a directory`,
        kind,
        dir,
        "",
        /not a regular file|directory/,
        random,
      ),
      files: [{ path: `${dir}/inside.txt`, content: "x" }],
    });
  }
  return cases;
}

export function wholeFileCases(random: Random, ids: Ids): BadInputCase[] {
  return [
    ...encodingCases(random, ids),
    ...emptyCases(random, ids),
    ...jsonSyntaxCases(random, ids),
    ...csvShapeCases(random, ids),
    ...pathCases(random, ids),
  ];
}
