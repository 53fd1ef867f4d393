/**
 * Redaction by parsing (src/redact.ts): user names stay, passwords and secret parameters never
 * appear. Examples for the shapes errors echo, and a property test over generated URLs whose
 * passwords hold `@`, `:`, `/` and percent-encoding, written raw or encoded.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { test } from "../support/test.ts";
import { redact, redactSecrets, urlPassword } from "../../src/redact.ts";

const EXAMPLES: [string, string][] = [
  // The bug this replaces: a user without a password lost its name.
  ["postgres://postgres@127.0.0.1:5432/claims", "postgres://postgres@127.0.0.1:5432/claims"],
  [
    'role "nouser" does not exist (postgres://nouser@db:5432/claims)',
    'role "nouser" does not exist (postgres://nouser@db:5432/claims)',
  ],
  ["postgres://claims:s3cret@db:5432/claims", "postgres://claims:***@db:5432/claims"],
  ["redis://default:p%40ss%3Aw%2Frd@cache:6379/0", "redis://default:***@cache:6379/0"],
  // Raw special characters: the URL does not parse (or parses as something else).
  ["postgres://u:pa/ss@host/db", "postgres://u:***@host/db"],
  ["postgres://u:12/ss@host/db", "postgres://u:***@host/db"],
  ["postgres://u:a@b:c@host:5432/db", "postgres://u:***@host:5432/db"],
  ["rediss://:onlypass@cache:6380", "rediss://:***@cache:6380"],
  // No user information: an @ in the query is not one.
  ["http://host:8080/p?email=a@b.com", "http://host:8080/p?email=a@b.com"],
  // Secret parameters, plain and encoded names; others stay.
  [
    "postgres://h/db?sslmode=require&password=x1y2&application_name=w",
    "postgres://h/db?sslmode=require&password=***&application_name=w",
  ],
  [
    "https://api/x?api_key=K1&apiKey=K2&token=T&page=2",
    "https://api/x?api_key=***&apiKey=***&token=***&page=2",
  ],
  ["https://api/x?api%5Fkey=K1", "https://api/x?api%5Fkey=***"],
  // Mistyped shapes an error echoes when the value does not parse.
  ["got postgres:/claims:pw1@db/x", "got postgres:/claims:***@db/x"],
  ["got postgres//claims:pw2@db/x", "got postgres//claims:***@db/x"],
  ["got claims:pw3@db:5432", "got claims:***@db:5432"],
  ["got claims@db:5432", "got claims@db:5432"],
  // Several URLs in one text, quoted.
  [
    `"postgres://a:b1@h/d" and 'redis://c:d2@r:1/0'`,
    `"postgres://a:***@h/d" and 'redis://c:***@r:1/0'`,
  ],
  ["nothing to see here: 12:30 at noon", "nothing to see here: 12:30 at noon"],
];

test("redact: examples (user names kept, passwords and secret parameters hidden)", () => {
  for (const [input, expected] of EXAMPLES) assert.equal(redact(input), expected, input);
});

test("urlPassword names the password as written, for redactSecrets", () => {
  assert.equal(urlPassword("postgres://u:a@b/c@h/db"), "a@b/c");
  assert.equal(urlPassword("postgres://u@h/db"), null);
  assert.equal(urlPassword("redis://h:6379/0"), null);
  assert.equal(
    redactSecrets("auth failed for a@b/c here", [urlPassword("postgres://u:a@b/c@h/db")]),
    "auth failed for *** here",
  );
});

const SCHEMES = ["postgres", "postgresql", "redis", "rediss", "https"] as const;
const userChars = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789_-.".split(""));
const passwordChars = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      ..."ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789".split(""),
    ),
  },
  { weight: 3, arbitrary: fc.constantFrom("@", ":", "/", "%") },
  { weight: 2, arbitrary: fc.constantFrom("%40", "%3A", "%2F", "%25", "%20") },
  { weight: 1, arbitrary: fc.constantFrom("!", "$", "&", "=", "+", ",", ";", "~", "*") },
);

const urlParts = fc.record({
  scheme: fc.constantFrom(...SCHEMES),
  user: fc.string({ unit: userChars, minLength: 0, maxLength: 12 }),
  // At least one special character, so every case exercises parsing around it.
  password: fc.tuple(
    fc.array(passwordChars, { minLength: 1, maxLength: 10 }),
    fc.constantFrom("@", ":", "/", "%40", "%3A", "%2F"),
    fc.array(passwordChars, { minLength: 0, maxLength: 10 }),
  ).map(([a, special, b]) => [...a, special, ...b].join("")),
  host: fc.constantFrom("db.example.com", "127.0.0.1", "[::1]", "cache-1.internal"),
  port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  path: fc.constantFrom("", "/", "/claims", "/0", "/db_name"),
  query: fc.constantFrom("", "?sslmode=require", "?application_name=worker&connect_timeout=5"),
  encoded: fc.boolean(),
});

test("redact: generated URLs with @ : / and percent-encoding in the password (property)", () => {
  fc.assert(
    fc.property(urlParts, (p) => {
      // Encoded as a URL library writes it, or raw as people paste it into an env variable.
      const written = p.encoded ? encodeURIComponent(p.password) : p.password;
      const rest = `${p.host}${p.port === undefined ? "" : `:${p.port}`}${p.path}${p.query}`;
      const url = `${p.scheme}://${p.user}:${written}@${rest}`;
      const text = `cannot connect to ${url}: connection refused`;
      const out = redact(text);
      assert.equal(
        out,
        `cannot connect to ${p.scheme}://${p.user}:***@${rest}: connection refused`,
      );
      assert.ok(!out.includes(written), "the password as written never appears");
    }),
    { numRuns: 2000, seed: 19 },
  );
});

test("redact: secret query parameters never appear, whatever their value (property)", () => {
  const value = fc.string({
    unit: passwordChars.filter((c) => !["&", "#", "%", "=", ";"].includes(c)),
    minLength: 4,
    maxLength: 16,
  }).map((v) => `Q${v}`);
  fc.assert(
    fc.property(
      fc.constantFrom("password", "token", "api_key", "apiKey", "secret", "sslpassword"),
      value,
      fc.constantFrom("postgres://u@h/db", "https://api.example.com/v1"),
      (name, v, base) => {
        const out = redact(`${base}?a=1&${name}=${encodeURIComponent(v)}&b=2`);
        assert.equal(out, `${base}?a=1&${name}=***&b=2`);
      },
    ),
    { numRuns: 500, seed: 7 },
  );
});
