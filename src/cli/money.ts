/**
 * Money as people read it: major units with the currency's ISO 4217 minor digits (JPY 0,
 * USD 2, KWD 3), grouped thousands, the code in front: `AUD 37,663,172,306.87`. Exact: the
 * figure is split from its minor units as integers, never through a float. Machine formats
 * (JSON, CSV) keep exact minor units as decimal strings beside the currency instead.
 */

const digitsCache = new Map<string, number>();

/** The currency's minor digits (ISO 4217, as Intl knows them; 2 for codes Intl does not know). */
export function minorDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits = new Intl.NumberFormat("en-US", { style: "currency", currency })
        .resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    digitsCache.set(currency, digits);
  }
  return digits;
}

const grouping = new Intl.NumberFormat("en-US", { useGrouping: true });

/** `minor` minor units of `currency` as `CUR 1,234.56` (negative amounts as `CUR -1,234.56`). */
export function formatMoney(currency: string, minor: bigint | string): string {
  const amount = typeof minor === "bigint" ? minor : BigInt(minor);
  const digits = minorDigits(currency);
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const scale = 10n ** BigInt(digits);
  const major = grouping.format(abs / scale);
  const fraction = digits === 0 ? "" : `.${(abs % scale).toString().padStart(digits, "0")}`;
  return `${currency} ${negative ? "-" : ""}${major}${fraction}`;
}

/** Amounts per currency, codes sorted, joined: `EUR 12.00, JPY 1,200`; `none` for no amount. */
export function formatAmounts(amounts: Readonly<Record<string, string>>): string {
  const codes = Object.keys(amounts).sort();
  return codes.length === 0 ? "none" : codes.map((c) => formatMoney(c, amounts[c]!)).join(", ");
}
