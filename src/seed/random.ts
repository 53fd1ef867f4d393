/**
 * A small seeded PRNG (sfc32, seeded through cyrb128): the same seed gives the same numbers on
 * every runtime, because only 32-bit integer arithmetic is involved. Never Math.random.
 */

/** Four 32-bit words from a string (cyrb128), spreading similar seeds far apart. */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

export interface Random {
  /** A uniform 32-bit unsigned integer. */
  next(): number;
  /** A uniform integer from `min` to `max`, both included (max - min < 2^32). */
  int(min: number, max: number): number;
  /** True with probability `numerator / denominator`. */
  chance(numerator: number, denominator: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks by integer weights: `[[value, weight], …]`. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T;
}

/** An independent stream of numbers for one named purpose under a seed. */
export function createRandom(seed: string, stream: string): Random {
  let [a, b, c, d] = cyrb128(`${seed}\u0000${stream}`);
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next(); // warm-up: the first outputs of sfc32 are weak
  const int = (min: number, max: number): number => {
    const span = max - min + 1;
    if (!Number.isInteger(span) || span < 1 || span > 2 ** 32) {
      throw new RangeError(`random int range ${min}..${max} is empty or too wide`);
    }
    // Rejection sampling: no modulo bias.
    const limit = 2 ** 32 - (2 ** 32 % span);
    let x = next();
    while (x >= limit) x = next();
    return min + (x % span);
  };
  return {
    next,
    int,
    chance: (numerator, denominator) => int(1, denominator) <= numerator,
    pick: (items) => {
      if (items.length === 0) throw new RangeError("pick from an empty list");
      return items[int(0, items.length - 1)]!;
    },
    weighted: (choices) => {
      const total = choices.reduce((n, [, w]) => n + w, 0);
      let x = int(1, total);
      for (const [value, weight] of choices) {
        x -= weight;
        if (x <= 0) return value;
      }
      return choices[choices.length - 1]![0];
    },
  };
}
