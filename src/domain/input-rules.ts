/**
 * The limits every input crosses before it reaches the calculator or PostgreSQL (see
 * docs/imports.md). Pure: no I/O.
 *
 * Supported dates: 0002-01-01 .. 9998-12-31, the four-digit years less one year at each end.
 * The calculator and the store look up to two days beyond a coverage period (the day before
 * its start, the local-day window of its last day in a zone 14 hours ahead of UTC, the day
 * after its end), and every such date must be one that PostgreSQL's `date` and `timestamptz`
 * and the calendar code read and write the same way: years 0001 to 9999. Year 0
 * (`0000-12-31`, the day before 0001-01-01, which PostgreSQL refuses) and year 10000
 * (`+010000-01-01`) are not. Instants must fall on a UTC date inside the same range, so their
 * local date in any zone (at most 14 hours away) and its neighbours are inside it too. The
 * margin is a year, not two days, so that a rule looking a little further (a week, a month)
 * stays safe. Historical dates are fine (the calendar tests use Alaska's 1867 change of day).
 */
import { dateToUtcMs } from "./calendar.ts";

export const FIRST_SUPPORTED_DATE = "0002-01-01";
export const LAST_SUPPORTED_DATE = "9998-12-31";
export const SUPPORTED_DATES = `${FIRST_SUPPORTED_DATE} to ${LAST_SUPPORTED_DATE}`;

/** Epoch ms of the first supported instant (0002-01-01T00:00:00Z). */
export const FIRST_SUPPORTED_INSTANT_MS = dateToUtcMs(FIRST_SUPPORTED_DATE);
/** Epoch ms just after the last supported instant (9999-01-01T00:00:00Z). */
export const END_OF_SUPPORTED_INSTANTS_MS = dateToUtcMs("9999-01-01");

/** True for a YYYY-MM-DD string inside the supported range (the caller checks it exists). */
export function isSupportedDate(date: string): boolean {
  return date >= FIRST_SUPPORTED_DATE && date <= LAST_SUPPORTED_DATE;
}

export function isSupportedInstantMs(ms: number): boolean {
  return ms >= FIRST_SUPPORTED_INSTANT_MS && ms < END_OF_SUPPORTED_INSTANTS_MS;
}

/**
 * Index of the first control character (C0 U+0000-U+001F, DEL U+007F, C1 U+0080-U+009F), or
 * -1. They have no place in a region or a source name: NUL is refused by PostgreSQL's text
 * type, the others are invisible in every report and break line-oriented tools.
 */
export function controlCharacterAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return i;
  }
  return -1;
}

/**
 * Index of the first lone UTF-16 surrogate, or -1. JSON's `\ud800` escape can produce one; it
 * has no UTF-8 form, so storing it would silently turn it into U+FFFD.
 */
export function loneSurrogateAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}

/** `U+0000` */
export function codePointName(text: string, at: number): string {
  return `U+${text.charCodeAt(at).toString(16).toUpperCase().padStart(4, "0")}`;
}
