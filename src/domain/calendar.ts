/**
 * Calendar dates (YYYY-MM-DD) and zone-aware local days. Uses the real IANA rules of the
 * runtime's Intl (never fixed offsets), so DST days are 23 or 25 hours long and :30/:45
 * offsets (Asia/Kolkata, Pacific/Chatham) come out right. Pure: no clock, no I/O.
 */

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** True for a YYYY-MM-DD string naming a date that exists (2025-02-30 does not). */
export function isValidDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  return back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d;
}

/** Milliseconds of UTC midnight of a calendar date (a day number, not an instant of a policy). */
export function dateToUtcMs(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: "${date}"`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

export function utcMsToDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
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
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

const zoneCache = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = zoneCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
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

/** True when the runtime knows this IANA zone name. */
export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.length === 0 || timeZone.length > 64) return false;
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
  return {
    year: get("year"),
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
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - (instantMs - (((instantMs % 1000) + 1000) % 1000));
}

const HOUR_MS = 3_600_000;
const MAX_CACHED_HOURS = 200_000;
/** zone -> UTC hour number -> the offset valid for that whole hour, or NaN when it changes inside. */
const offsetCache = new Map<string, Map<number, number>>();
let cachedHours = 0;

/**
 * Offset of `timeZone` from UTC at an instant, in ms. Intl is slow (microseconds a call), so the
 * offset is cached per zone and UTC hour when it is the same at both ends of that hour (no real
 * zone changes its offset twice within an hour); hours with a transition are computed exactly.
 */
export function zoneOffsetMs(instantMs: number, timeZone: string): number {
  const hour = Math.floor(instantMs / HOUR_MS);
  let zone = offsetCache.get(timeZone);
  if (!zone) {
    zone = new Map();
    offsetCache.set(timeZone, zone);
  }
  let offset = zone.get(hour);
  if (offset === undefined) {
    const first = exactOffsetMs(hour * HOUR_MS, timeZone);
    const last = exactOffsetMs(hour * HOUR_MS + HOUR_MS - 1000, timeZone);
    offset = first === last ? first : Number.NaN;
    if (cachedHours >= MAX_CACHED_HOURS) {
      offsetCache.clear();
      cachedHours = 0;
      zone = new Map();
      offsetCache.set(timeZone, zone);
    }
    zone.set(hour, offset);
    cachedHours++;
  }
  return Number.isNaN(offset) ? exactOffsetMs(instantMs, timeZone) : offset;
}

const dayNames = new Map<number, string>();

/** The local calendar date, in `timeZone`, of an instant. */
export function localDateOf(instantMs: number, timeZone: string): string {
  const day = Math.floor((instantMs + zoneOffsetMs(instantMs, timeZone)) / DAY_MS);
  let name = dayNames.get(day);
  if (name === undefined) {
    name = utcMsToDate(day * DAY_MS);
    if (dayNames.size > 100_000) dayNames.clear();
    dayNames.set(day, name);
  }
  return name;
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
