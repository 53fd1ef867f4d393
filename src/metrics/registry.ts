/**
 * The project's own Prometheus counters, in the text exposition format (version 0.0.4). A
 * handful of monotonic counters with a label or two do not justify a client library.
 */

export interface Counter {
  inc(labels?: Record<string, string>, by?: number): void;
}

interface CounterState {
  name: string;
  help: string;
  values: Map<string, { labels: Record<string, string>; value: number }>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(",");
}

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll('"', '\\"');
}

export class MetricsRegistry {
  readonly #counters = new Map<string, CounterState>();

  counter(name: string, help: string): Counter {
    if (!NAME.test(name)) throw new Error(`metric name ${JSON.stringify(name)} is not valid`);
    let state = this.#counters.get(name);
    if (!state) {
      state = { name, help, values: new Map() };
      this.#counters.set(name, state);
    }
    const s = state;
    return {
      inc(labels = {}, by = 1) {
        if (!(by >= 0)) throw new RangeError(`counter ${name} can only grow, got ${by}`);
        const key = labelKey(labels);
        const current = s.values.get(key);
        if (current) current.value += by;
        else s.values.set(key, { labels: { ...labels }, value: by });
      },
    };
  }

  /** Current value of a counter (summed over label sets matching `labels`). */
  value(name: string, labels: Record<string, string> = {}): number {
    const state = this.#counters.get(name);
    if (!state) return 0;
    let sum = 0;
    for (const v of state.values.values()) {
      if (Object.entries(labels).every(([k, want]) => v.labels[k] === want)) sum += v.value;
    }
    return sum;
  }

  /** The exposition text of every counter. */
  render(): string {
    const lines: string[] = [];
    for (const c of this.#counters.values()) {
      lines.push(`# HELP ${c.name} ${c.help.replaceAll("\n", " ")}`, `# TYPE ${c.name} counter`);
      if (c.values.size === 0) lines.push(`${c.name} 0`);
      for (const { labels, value } of c.values.values()) {
        const keys = Object.keys(labels).sort();
        const text = keys.length
          ? `{${keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(",")}}`
          : "";
        lines.push(`${c.name}${text} ${value}`);
      }
    }
    return lines.join("\n") + "\n";
  }
}
