/**
 * Canonical JSON: object keys sorted by code unit at every level, no whitespace, `undefined`
 * members left out. Two values that mean the same produce the same text, whatever the order
 * their fields were built in, which is what a content hash needs.
 *
 * Built with plain loops and string appends: the worker hashes the inputs of every policy-day,
 * and the entries/filter/sort/map/join form of the same rules was a visible share of its CPU
 * profile. The text must stay byte for byte what it was: stored ledger hashes compare with it.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) {
        throw new RangeError(`canonicalJson: ${value} has no JSON form`);
      }
      return JSON.stringify(value);
    case "bigint":
      return value.toString();
    case "object": {
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          out += canonicalJson(value[i]);
        }
        return out + "]";
      }
      const record = value as Record<string, unknown>;
      // Array.prototype.sort without a comparator orders strings by UTF-16 code units.
      const keys = Object.keys(record).sort();
      let out = "{";
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        if (out.length > 1) out += ",";
        out += JSON.stringify(key) + ":" + canonicalJson(member);
      }
      return out + "}";
    }
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} has no JSON form`);
  }
}
