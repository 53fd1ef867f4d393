/**
 * A number as it was written in an input file, for the numbers a JavaScript float could
 * change: `1000000.00000000001` is a float 1000000, `9007199254740993` is 9007199254740992.
 * Money and basis points must be exact integers, so the readers (JSON and CSV) keep such
 * numbers as text and the schemas decide from the text: an integer field takes only a text
 * whose value is an integer that fits (`2500`, `2500.0`, `25e2`), a measurement takes the
 * nearest float. Plain integers of up to 15 digits, exact in any float, stay numbers.
 */

const PLAIN_INTEGER = /^-?(?:0|[1-9]\d{0,14})$/;
const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

export class NumberText {
  constructor(readonly text: string) {}

  /** The value when it is an integer and a safe JavaScript integer; undefined otherwise. */
  exactInteger(): number | undefined {
    return exactIntegerOf(this.text);
  }

  /** The nearest float, or undefined when there is none (±Infinity). */
  finiteNumber(): number | undefined {
    const n = Number(this.text);
    return Number.isFinite(n) ? n : undefined;
  }

  toString(): string {
    return this.text;
  }

  toJSON(): string {
    return this.text;
  }
}

/** A JSON number's text as the readers hand it on: a number when exact, else a NumberText. */
export function numberFromText(text: string): number | NumberText {
  return PLAIN_INTEGER.test(text) ? Number(text) : new NumberText(text);
}

/** The integer a decimal text denotes exactly, if it is one and is a safe integer. */
export function exactIntegerOf(text: string): number | undefined {
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  const [, sign, whole = "", fraction = "", exponentText = "0"] = m;
  if (exponentText.replace(/^[+-]?0*/, "").length > 6) {
    // An exponent of a million or more: either 0 (all digits zero) or nothing that fits.
    return /[1-9]/.test(whole + fraction) ? undefined : 0;
  }
  let digits = (whole + fraction).replace(/^0+/, "");
  let exponent = Number(exponentText) - fraction.length;
  if (digits === "") return 0;
  const trailing = digits.length - digits.replace(/0+$/, "").length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  if (exponent < 0) return undefined; // a fraction that is not zero
  if (digits.length + exponent > 16) return undefined;
  const value = Number(digits + "0".repeat(exponent));
  if (!Number.isSafeInteger(value)) return undefined;
  return sign ? -value : value;
}
