/**
 * Bad import files, row by row (SPEC §7: `policies import` / `events import`, JSON, JSON
 * Lines, CSV): one bad field among valid rows, duplicate ids, and random mixes of several bad
 * rows, each of which must be named (row and field). Files bad as a whole are in
 * whole-file-cases.ts.
 */
import { allOf, type BadInputCase, rowProblem } from "./case.ts";
import { fileCase, Ids, KINDS } from "./import-case.ts";
import { type RowMutation, rowMutations } from "./mutations.ts";
import type { Random } from "./prng.ts";
import { FORMATS, serialise, validRow, type Value } from "./records.ts";
import { wholeFileCases } from "./whole-file-cases.ts";

function mutationCases(random: Random, ids: Ids): BadInputCase[] {
  const cases: BadInputCase[] = [];
  for (const kind of KINDS) {
    for (const mutation of rowMutations(kind)) {
      for (const format of mutation.formats) {
        const prefix = ids.next(kind);
        const valid = random.int(1, 4);
        const at = random.int(0, valid);
        const rows: Value[] = [];
        for (let i = 0; i < valid; i++) rows.push(validRow(kind, `${prefix}-${i}`, random));
        rows.splice(at, 0, mutation.apply(validRow(kind, `${prefix}-bad`, random)));
        const file = `${prefix}.${format}`;
        cases.push(fileCase(
          `file/${kind}/${format}/${mutation.label} @row ${at + 1}`,
          kind,
          file,
          serialise(kind, format, rows),
          rowProblem(at + 1, mutation.field),
          random,
        ));
      }
    }
  }
  return cases;
}

function duplicateCases(random: Random, ids: Ids): BadInputCase[] {
  const cases: BadInputCase[] = [];
  for (const kind of KINDS) {
    for (const format of FORMATS) {
      for (const copies of [2, 3]) {
        const prefix = ids.next(kind);
        const rows: Value[] = [];
        for (let i = 0; i < 6; i++) rows.push(validRow(kind, `${prefix}-${i}`, random));
        const positions = random.sample([1, 2, 3, 4, 5, 6, 7, 8], copies).sort((a, b) => a - b);
        for (const p of positions) rows.splice(p - 1, 0, validRow(kind, `${prefix}-dup`, random));
        const file = `${prefix}.${format}`;
        cases.push(fileCase(
          `file/${kind}/${format}/duplicate id x${copies} @rows ${positions.join(",")}`,
          kind,
          file,
          serialise(kind, format, rows),
          allOf(positions.slice(1).map((p) => rowProblem(p, "id"))),
          random,
        ));
      }
    }
  }
  return cases;
}

/** Several bad rows among up to 30 valid ones: every bad row must be named. */
function mixedCases(random: Random, ids: Ids, count: number): BadInputCase[] {
  const byKind = { policies: rowMutations("policies"), events: rowMutations("events") };
  const cases: BadInputCase[] = [];
  for (let n = 0; n < count; n++) {
    const kind = random.pick(KINDS);
    const format = random.pick(FORMATS);
    const usable = byKind[kind].filter((m) => m.formats.includes(format) && !m.alone);
    const prefix = ids.next(kind);
    const total = random.int(3, 34);
    const bad = random.sample(Array.from({ length: total }, (_, i) => i), random.int(2, 4))
      .sort((a, b) => a - b);
    const chosen = new Map<number, RowMutation>(bad.map((i) => [i, random.pick(usable)]));
    const rows: Value[] = [];
    for (let i = 0; i < total; i++) {
      const row = validRow(kind, `${prefix}-${i}`, random);
      const mutation = chosen.get(i);
      rows.push(mutation ? mutation.apply(row) : row);
    }
    const file = `${prefix}.${format}`;
    cases.push(fileCase(
      `file/mixed/${kind}/${format}/${bad.length} bad rows of ${total} #${n}`,
      kind,
      file,
      serialise(kind, format, rows),
      allOf(bad.map((i) => rowProblem(i + 1, chosen.get(i)!.field))),
      random,
    ));
  }
  return cases;
}

export function importFileCases(random: Random, mixed: number): BadInputCase[] {
  const ids = new Ids();
  return [
    ...mutationCases(random, ids),
    ...duplicateCases(random, ids),
    ...mixedCases(random, ids, mixed),
    ...wholeFileCases(random, ids),
  ];
}
