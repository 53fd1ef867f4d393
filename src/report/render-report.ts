/** The three faces of a claims report: an aligned table, JSON (amounts as strings), CSV. */
import { type Column, type OutputFormat, renderCsv, renderTable } from "../cli/format.ts";
import type { ClaimsReport, ReportLine } from "./claims-report.ts";

interface SectionRow {
  section: "day" | "region" | "total";
  line: ReportLine;
}

interface Headers {
  key: string;
  policyDays: string;
  claims: string;
  capped: string;
  currency: (currency: string) => string;
}

const TABLE_HEADERS: Omit<Headers, "key"> = {
  policyDays: "policy-days",
  claims: "claims",
  capped: "capped",
  currency: (currency) => currency,
};

const CSV_HEADERS: Headers = {
  key: "key",
  policyDays: "policy_days",
  claims: "claims",
  capped: "capped_claims",
  currency: (currency) => `payout_${currency}`,
};

function columnsFor(report: ClaimsReport, headers: Headers): Column<SectionRow>[] {
  return [
    { header: headers.key, value: (r) => r.line.key, align: "left" },
    { header: headers.policyDays, value: (r) => r.line.policyDays, align: "right" },
    { header: headers.claims, value: (r) => r.line.claims, align: "right" },
    { header: headers.capped, value: (r) => r.line.cappedClaims, align: "right" },
    ...report.currencies.map((currency): Column<SectionRow> => ({
      header: headers.currency(currency),
      value: (r) => r.line.payout[currency] ?? 0n,
      align: "right",
    })),
  ];
}

/** JSON: bigint amounts become decimal strings (a float would round sums beyond 2^53). */
export function reportToJson(report: ClaimsReport): unknown {
  const line = (l: ReportLine) => ({
    policyDays: l.policyDays,
    claims: l.claims,
    cappedClaims: l.cappedClaims,
    payout: Object.fromEntries(Object.entries(l.payout).map(([c, v]) => [c, v.toString()])),
  });
  return {
    from: report.from,
    to: report.to,
    policyId: report.policyId,
    currencies: report.currencies,
    days: report.days.map((d) => ({ claimDate: d.key, ...line(d) })),
    regions: report.regions.map((r) => ({ region: r.key, ...line(r) })),
    totals: line(report.totals),
  };
}

export function renderReport(report: ClaimsReport, format: Exclude<OutputFormat, "json">): string {
  if (format === "csv") {
    const rows: SectionRow[] = [
      ...report.days.map((line) => ({ section: "day" as const, line })),
      ...report.regions.map((line) => ({ section: "region" as const, line })),
      { section: "total", line: report.totals },
    ];
    const columns: Column<SectionRow>[] = [
      { header: "section", value: (r) => r.section },
      ...columnsFor(report, CSV_HEADERS),
    ];
    return renderCsv(columns, rows);
  }
  const scope = report.policyId ? ` for policy ${report.policyId}` : "";
  const title = `Claims ${report.from} to ${report.to}${scope} (payouts in minor units)`;
  if (report.days.length === 0) return `${title}\nno computed policy-days and no claims\n`;
  const byDay = renderTable(columnsFor(report, { ...TABLE_HEADERS, key: "claim date" }), [
    ...report.days.map((line) => ({ section: "day" as const, line })),
    { section: "total", line: report.totals },
  ]);
  const byRegion = renderTable(
    columnsFor(report, { ...TABLE_HEADERS, key: "region" }),
    report.regions.map((line) => ({ section: "region" as const, line })),
  );
  return `${title}\n\n${byDay}\n${byRegion}`;
}
