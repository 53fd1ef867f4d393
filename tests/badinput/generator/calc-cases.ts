/**
 * `claims calc --input FILE` (SPEC §7): the pure command reads `{ policy, events }` and must
 * name each bad field by its path (`policy.sumInsured`, `events[2].observedAt`).
 */
import { type BadInputCase, escapeRegExp } from "./case.ts";
import { rowMutations } from "./mutations.ts";
import type { Random } from "./prng.ts";
import { jsonText, validEvent, validPolicy, type Value } from "./records.ts";

function pathPattern(root: string, field: string): RegExp {
  return new RegExp(`(^|\\n)${escapeRegExp(field ? `${root}.${field}` : root)}: `);
}

function calcCase(name: string, content: string | Uint8Array, message: RegExp): BadInputCase {
  return {
    name: `calc/${name}`,
    category: "calc",
    argv: ["calc", "--input", "input.json"],
    env: {},
    files: [{ path: "input.json", content }],
    exitCode: 2,
    message,
  };
}

function validInput(random: Random): { policy: Value; events: Value[] } {
  const policy = validPolicy("CALC-P", random);
  const events = [0, 1, 2].map((i) => ({
    ...validEvent(`CALC-E${i}`, random),
    region: policy["region"]!,
  }));
  return { policy, events };
}

export function calcCases(random: Random, perKind: number): BadInputCase[] {
  const cases: BadInputCase[] = [];
  // Nesting too deep is named at a path that depends on where the row sits: its own cases below.
  const usable = (kind: "policies" | "events") => rowMutations(kind).filter((m) => !m.alone);
  for (const mutation of random.sample(usable("policies"), perKind)) {
    const input = validInput(random);
    input.policy = mutation.apply(input.policy as Record<string, Value>);
    cases.push(
      calcCase(`policy ${mutation.label}`, jsonText(input), pathPattern("policy", mutation.field)),
    );
  }
  for (const mutation of random.sample(usable("events"), perKind)) {
    const input = validInput(random);
    const at = random.int(0, input.events.length - 1);
    input.events[at] = mutation.apply(input.events[at] as Record<string, Value>);
    cases.push(
      calcCase(
        `events[${at}] ${mutation.label}`,
        jsonText(input),
        pathPattern(`events[${at}]`, mutation.field),
      ),
    );
  }
  const input = validInput(random);
  const twice = { ...input, events: [...input.events, input.events[0]!] };
  const whole: [string, string | Uint8Array, RegExp][] = [
    ["duplicate event id", jsonText(twice), /events\[3\]\.id: duplicate event id "CALC-E0"/],
    ["no policy", jsonText({ events: input.events }), /(^|\n)policy: /],
    ["no events", jsonText({ policy: input.policy }), /(^|\n)events: /],
    ["events is an object", jsonText({ ...input, events: { a: 1 } }), /(^|\n)events: /],
    [
      "an unknown top-level field",
      jsonText({ ...input, claims: [] }),
      /(^|\n)claims: unknown field/,
    ],
    ["an array at the top", jsonText([input.policy]), /must be a \{ policy, events \} object/],
    ["empty file", "", /--input input\.json: .*empty/],
    ["not JSON", "{ policy: }", /--input input\.json: not valid JSON/],
    ["not UTF-8", Uint8Array.from([0x7b, 0xe9, 0x7d]), /--input input\.json: not UTF-8/],
    [
      "policy nested 200,000 deep",
      `{"policy":${"[".repeat(200_000)}${"]".repeat(200_000)},"events":[]}`,
      /(^|\n)policy(\[0\]){7}: nested deeper than 8 levels/,
    ],
    [
      "an event's value nested 200,000 deep",
      jsonText({ ...input, events: [{ ...input.events[0] as Record<string, Value>, value: 0 }] })
        .replace('"value":0', `"value":${"[".repeat(200_000)}${"]".repeat(200_000)}`),
      /(^|\n)events\[0\]\.value(\[0\]){5}: nested deeper than 8 levels/,
    ],
    [
      "a key twice in the top-level object",
      `{"policy":${jsonText(input.policy)},"events":[],"events":[]}`,
      /(^|\n)events: the key "events" appears more than once/,
    ],
  ];
  for (const [name, content, message] of whole) cases.push(calcCase(name, content, message));
  cases.push({
    ...calcCase("no such file", "", /--input missing\.json: cannot read the file: no such file/),
    argv: ["calc", "--input", "missing.json"],
    files: [],
  });
  cases.push({
    ...calcCase("--input without a value", "", /option '--input <file>' argument missing/),
    argv: ["calc", "--input"],
    files: [],
  });
  return cases;
}
