/**
 * Calendar dates (YYYY-MM-DD) and zone-aware local days. Uses the real IANA rules of the
 * runtime's Intl (never fixed offsets), so DST days are 23 or 25 hours long and :30/:45
 * offsets (Asia/Kolkata, Pacific/Chatham) come out right. Pure: no clock, no I/O.
 */

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Also the expanded years (`+010000-01-01`) that `Date#toISOString` writes past 9999. */
const ANY_DATE_RE = /^(\d{4}|[+-]\d{6})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/**
 * Epoch ms of a UTC wall-clock time. `Date.UTC` maps years 0-99 to 1900-1999; setting the
 * full year explicitly keeps every year what it says.
 */
export function utcFromFields(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date, by integer arithmetic (H. Hinnant's
 * days_from_civil): no Date object, so it is cheap enough for every event of a calculation.
 */
export function epochDay(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) +
    dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** True for a YYYY-MM-DD string (years 0001-9999) naming a date that exists (not 2025-02-30). */
export function isValidDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  return d <= daysInMonth(y, mo);
}

/** Days in a month of the proleptic Gregorian calendar (month 1-12). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Milliseconds of UTC midnight of a calendar date (a day number, not an instant of a policy). */
export function dateToUtcMs(date: string): number {
  const m = ANY_DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: "${date}"`);
  return utcFromFields(Number(m[1]), Number(m[2]), Number(m[3]));
}

export function utcMsToDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.slice(0, iso.indexOf("T"));
}

export function addDays(date: string, days: number): string {
  return utcMsToDate(dateToUtcMs(date) + days * DAY_MS);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((dateToUtcMs(to) - dateToUtcMs(from)) / DAY_MS);
}

/** Every date from `from` to `to`, both included, ascending. */
export function datesInRange(from: string, to: string): string[] {
  const out: string[] = [];
  const last = dateToUtcMs(to);
  for (let ms = dateToUtcMs(from); ms <= last; ms += DAY_MS) out.push(utcMsToDate(ms));
  return out;
}

const zoneCache = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = zoneCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    zoneCache.set(timeZone, f);
  }
  return f;
}

/** The shape of an IANA name: `UTC`, `EST5EDT`, `Etc/GMT+5`, `America/Argentina/Buenos_Aires`. */
const ZONE_NAME_RE = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** True when the runtime knows this IANA zone name. */
export function isValidTimeZone(timeZone: string): boolean {
  // Some runtimes' Intl also takes fixed offsets ("+01:00", "-0500"): not zone names, and not
  // accepted everywhere, so the same input would pass on Deno and fail on Node.
  if (timeZone.length > 64 || !ZONE_NAME_RE.test(timeZone)) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(instantMs: number, timeZone: string): WallClock {
  const parts = formatterFor(timeZone).formatToParts(instantMs);
  const get = (type: Intl.DateTimeFormatPartTypes): number => {
    const part = parts.find((p) => p.type === type);
    return part ? Number(part.value) : 0;
  };
  // Year 0 and earlier read "1 BC", "2 BC" …: only reachable by instants in year 1, but exact.
  const bc = parts.some((p) => p.type === "era" && p.value === "BC");
  return {
    year: bc ? 1 - get("year") : get("year"),
    month: get("month"),
    day: get("day"),
    hour: get("hour"),
    minute: get("minute"),
    second: get("second"),
  };
}

/** Offset of `timeZone` from UTC at an instant, in ms (positive east of Greenwich), from Intl. */
function exactOffsetMs(instantMs: number, timeZone: string): number {
  const w = wallClock(instantMs, timeZone);
  const asUtc = utcFromFields(w.year, w.month, w.day, w.hour, w.minute, w.second);
  return asUtc - (instantMs - (((instantMs % 1000) + 1000) % 1000));
}

const HOUR_MS = 3_600_000;
const PROBE_MS = 6 * HOUR_MS;
const MAX_CACHED_SPANS = 200_000;

/**
 * zone -> UTC day (or hour) number -> the offset valid for that whole span, or NaN when it
 * changes inside the span. Intl costs microseconds a call and a year of events touches every
 * day of a zone, so days are cached first and only the hours of a transition day are looked at
 * one by one.
 */
const dayOffsets = new Map<string, Map<number, number>>();
const hourOffsets = new Map<string, Map<number, number>>();
let cachedSpans = 0;

function spansOf(cache: Map<string, Map<number, number>>, timeZone: string): Map<number, number> {
  let spans = cache.get(timeZone);
  if (!spans) {
    spans = new Map();
    cache.set(timeZone, spans);
  }
  return spans;
}

/**
 * The offset of a whole span [startMs, startMs + spanMs), or NaN when it is not the same at
 * every probe. Probes are at most 6 h apart: no zone's rules change its offset and change it
 * back within 6 hours, so equal probes mean one offset for the whole span.
 */
function uniformOffset(startMs: number, spanMs: number, timeZone: string): number {
  const first = exactOffsetMs(startMs, timeZone);
  for (let at = startMs + PROBE_MS; at < startMs + spanMs; at += PROBE_MS) {
    if (exactOffsetMs(at, timeZone) !== first) return Number.NaN;
  }
  return exactOffsetMs(startMs + spanMs - 1000, timeZone) === first ? first : Number.NaN;
}

function cachedOffset(
  cache: Map<string, Map<number, number>>,
  spanMs: number,
  instantMs: number,
  timeZone: string,
): number {
  const span = Math.floor(instantMs / spanMs);
  let offset = cache.get(timeZone)?.get(span);
  if (offset === undefined) {
    offset = uniformOffset(span * spanMs, spanMs, timeZone);
    if (cachedSpans >= MAX_CACHED_SPANS) {
      // A bound on memory for long-running workers; refilling costs a few Intl calls a day.
      dayOffsets.clear();
      hourOffsets.clear();
      cachedSpans = 0;
    }
    spansOf(cache, timeZone).set(span, offset);
    cachedSpans++;
  }
  return offset;
}

/**
 * Offset of `timeZone` from UTC at an instant, in ms (positive east of Greenwich), from the
 * runtime's IANA rules; exact to the second, including the hour of a DST change.
 */
export function zoneOffsetMs(instantMs: number, timeZone: string): number {
  const daily = cachedOffset(dayOffsets, DAY_MS, instantMs, timeZone);
  if (!Number.isNaN(daily)) return daily;
  const hourly = cachedOffset(hourOffsets, HOUR_MS, instantMs, timeZone);
  return Number.isNaN(hourly) ? exactOffsetMs(instantMs, timeZone) : hourly;
}

const dayNames = new Map<number, string>();

/** The YYYY-MM-DD name of a day number (days since 1970-01-01); names are shared, not rebuilt. */
export function dateOfEpochDay(day: number): string {
  let name = dayNames.get(day);
  if (name === undefined) {
    name = utcMsToDate(day * DAY_MS);
    if (dayNames.size >= 100_000) dayNames.clear();
    dayNames.set(day, name);
  }
  return name;
}

/** The day number (days since 1970-01-01) of a calendar date. */
export function epochDayOfDate(date: string): number {
  return Math.round(dateToUtcMs(date) / DAY_MS);
}

/** The local calendar day, in `timeZone`, of an instant, as a day number. */
export function localEpochDay(instantMs: number, timeZone: string): number {
  return Math.floor((instantMs + zoneOffsetMs(instantMs, timeZone)) / DAY_MS);
}

/** The local calendar date, in `timeZone`, of an instant. */
export function localDateOf(instantMs: number, timeZone: string): string {
  return dateOfEpochDay(localEpochDay(instantMs, timeZone));
}

/**
 * The first instant of a local date in `timeZone`: local midnight, or the first instant after
 * it when a DST gap swallows midnight (America/Santiago, Asia/Beirut …).
 */
export function startOfLocalDay(date: string, timeZone: string): number {
  const midnightAsUtc = dateToUtcMs(date);
  // Two passes converge for every real zone: the offset at the guess, then at the corrected guess.
  let guess = midnightAsUtc - zoneOffsetMs(midnightAsUtc, timeZone);
  guess = midnightAsUtc - zoneOffsetMs(guess, timeZone);
  if (localDateOf(guess, timeZone) === date && localDateOf(guess - 1000, timeZone) < date) {
    return guess;
  }
  // Midnight falls in a transition: search for the first instant whose local date is `date`
  // (offsets change on whole seconds; 14 h is the largest offset in use).
  let lo = guess - 2 * DAY_MS;
  let hi = guess + 2 * DAY_MS;
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (localDateOf(mid, timeZone) < date) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The half-open UTC interval [startMs, endMs) of a local date in `timeZone` (23, 24 or 25 h). */
export function localDayBounds(date: string, timeZone: string): { startMs: number; endMs: number } {
  return {
    startMs: startOfLocalDay(date, timeZone),
    endMs: startOfLocalDay(addDays(date, 1), timeZone),
  };
}
