/**
 * ISO-8601 instants (RFC 3339 profile) parsed to epoch milliseconds without Date or RegExp:
 * the calculator parses every event of a region once per policy, and this is its hot path.
 *
 *   YYYY-MM-DDTHH:MM[:SS[.fraction]](Z | ±HH:MM)     `T` and `Z` in either case
 *
 * Fractions beyond milliseconds are truncated (storage keeps milliseconds, and canonical order
 * must see a stored event exactly as the same event in a file).
 */
import { daysInMonth, epochDay } from "./calendar.ts";

const DAY_MS = 86_400_000;
const ZERO = 48;

/** Value of the `width` ASCII digits at `at`, or -1 when one of them is not a digit. */
function digitsAt(text: string, at: number, width: number): number {
  let n = 0;
  for (let i = at; i < at + width; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1; // NaN past the end fails here too
    n = n * 10 + d;
  }
  return n;
}

const charAt = (text: string, at: number): number => text.charCodeAt(at);
const DASH = 45; // -
const COLON = 58; // :
const DOT = 46; // .
const PLUS = 43; // +

/** Epoch milliseconds of an ISO-8601 instant with `Z` or an offset; NaN when it is not one. */
export function instantMs(value: string): number {
  if (value.length < 17) return Number.NaN; // YYYY-MM-DDTHH:MMZ
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  const t = charAt(value, 10);
  if (
    year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ||
    hour < 0 || hour > 23 || minute < 0 || minute > 59 || charAt(value, 4) !== DASH ||
    charAt(value, 7) !== DASH || (t !== 84 && t !== 116) || charAt(value, 13) !== COLON
  ) {
    return Number.NaN;
  }
  let at = 16;
  let second = 0;
  let millis = 0;
  if (charAt(value, at) === COLON) {
    second = digitsAt(value, at + 1, 2);
    if (second < 0 || second > 59) return Number.NaN;
    at += 3;
    if (charAt(value, at) === DOT) {
      const from = ++at;
      while (at < value.length && at - from < 10) {
        const d = charAt(value, at) - ZERO;
        if (d < 0 || d > 9) break;
        if (at - from < 3) millis += d * (at - from === 0 ? 100 : at - from === 1 ? 10 : 1);
        at++;
      }
      if (at === from || at - from > 9) return Number.NaN;
    }
  }
  let offsetMinutes = 0;
  const zone = charAt(value, at);
  if (zone === 90 || zone === 122) { // Z z
    if (at + 1 !== value.length) return Number.NaN;
  } else if (zone === PLUS || zone === DASH) {
    if (at + 6 !== value.length || charAt(value, at + 3) !== COLON) return Number.NaN;
    const oh = digitsAt(value, at + 1, 2);
    const om = digitsAt(value, at + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
    offsetMinutes = (zone === DASH ? -1 : 1) * (oh * 60 + om);
  } else {
    return Number.NaN;
  }
  return epochDay(year, month, day) * DAY_MS +
    ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
}
