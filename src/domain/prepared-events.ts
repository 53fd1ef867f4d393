/**
 * A set of events read once for many calculations: each instant parsed once, each region's
 * active events in (instant, id) order, and each region's local days computed once per time
 * zone. Calculating 10,000 policies against one event set then costs a walk per policy, not a
 * parse and a sort per policy and event. Pure data with memoised derived arrays; no I/O.
 */
import { localEpochDay } from "./calendar.ts";
import { instantMs } from "./instant.ts";
import { compareIds } from "./order.ts";
import type { RiskEvent } from "./schemas.ts";

/** Local day numbers of a region's events in one time zone, in the region's event order. */
export interface LocalDays {
  days: Int32Array;
  /**
   * Whether the days never decrease along the (instant) order. True for every zone whose clocks
   * never go back across midnight; when false, callers place events date by date instead.
   */
  monotonic: boolean;
}

export class PreparedRegion {
  readonly region: string;
  /** The region's active events in (observedAt instant, id) order. */
  readonly events: readonly RiskEvent[];
  /** `instantMs(events[i].observedAt)`, same order. */
  readonly instants: Float64Array;
  readonly #localDays = new Map<string, LocalDays>();

  constructor(region: string, events: readonly RiskEvent[], instants: Float64Array) {
    this.region = region;
    this.events = events;
    this.instants = instants;
  }

  /** Each event's local day number in `timeZone` (memoised per zone). */
  localDays(timeZone: string): LocalDays {
    let cached = this.#localDays.get(timeZone);
    if (!cached) {
      const days = new Int32Array(this.instants.length);
      let monotonic = true;
      for (let i = 0; i < days.length; i++) {
        days[i] = localEpochDay(this.instants[i]!, timeZone);
        if (i > 0 && days[i]! < days[i - 1]!) monotonic = false;
      }
      cached = { days, monotonic };
      this.#localDays.set(timeZone, cached);
    }
    return cached;
  }
}

export class PreparedEvents {
  readonly regions: ReadonlyMap<string, PreparedRegion>;

  constructor(regions: ReadonlyMap<string, PreparedRegion>) {
    this.regions = regions;
  }

  region(name: string): PreparedRegion | undefined {
    return this.regions.get(name);
  }
}

/**
 * Prepares `events` (all regions, or only `onlyRegion`); retracted events are dropped (they
 * never count). An observedAt that is not an instant is an error naming the event.
 *
 * Event ids must be unique (SPEC §3.5: a duplicate is a validation error, never a merge). The
 * boundaries guarantee it (CalcInputSchema for files, the events table's primary key for
 * storage), so a full check here would only repeat theirs at a cost of a hash set per call;
 * what is caught here for free is the same event delivered twice (same id and instant), which
 * the (instant, id) order puts side by side.
 */
export function prepareEvents(events: Iterable<RiskEvent>, onlyRegion?: string): PreparedEvents {
  const byRegion = new Map<string, Timed[]>();
  for (const event of events) {
    if (onlyRegion !== undefined && event.region !== onlyRegion) continue;
    if ((event.status ?? "active") !== "active") continue;
    const ms = instantMs(event.observedAt);
    if (Number.isNaN(ms)) {
      throw new RangeError(
        `event ${event.id}: observedAt ${
          JSON.stringify(event.observedAt)
        } is not an ISO-8601 instant`,
      );
    }
    const list = byRegion.get(event.region);
    if (list) list.push({ event, ms });
    else byRegion.set(event.region, [{ event, ms }]);
  }
  const regions = new Map<string, PreparedRegion>();
  for (const [region, list] of byRegion) {
    list.sort((a, b) => a.ms - b.ms || compareIds(a.event.id, b.event.id));
    const instants = new Float64Array(list.length);
    const ordered = new Array<RiskEvent>(list.length);
    for (let i = 0; i < list.length; i++) {
      const { event, ms } = list[i]!;
      if (i > 0 && ms === instants[i - 1] && event.id === ordered[i - 1]!.id) {
        throw new RangeError(
          `duplicate event id ${JSON.stringify(event.id)} in region ${
            JSON.stringify(region)
          }: ids must be unique in one calculation`,
        );
      }
      instants[i] = ms;
      ordered[i] = event;
    }
    regions.set(region, new PreparedRegion(region, ordered, instants));
  }
  return new PreparedEvents(regions);
}

interface Timed {
  event: RiskEvent;
  ms: number;
}
