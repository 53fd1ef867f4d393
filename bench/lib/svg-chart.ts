/**
 * Small, dependency-free SVG charts for benchmark results: panels side by side, each with
 * linear or log-10 axes, labelled ticks, and series drawn as markers, lines or both. Pure: it
 * returns the SVG text. Plain SVG 1.1 with a white background, readable on GitHub in light
 * and dark mode.
 */

export interface Series {
  name: string;
  color: string;
  points: readonly { x: number; y: number; label?: string }[];
  /** Connect the points (in the given order). Default true. */
  line?: boolean;
  /** Draw a marker on every point. Default true. */
  markers?: boolean;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  xLog?: boolean;
  /** Axis ranges; from the data (and 0) when omitted. */
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  /** Formats tick values (default: compact numbers, 10k, 1.5M). */
  xFormat?: (value: number) => string;
  yFormat?: (value: number) => string;
  /** Where the legend box goes inside the plot (default top-left). */
  legend?: "top-left" | "bottom-right";
}

export interface ChartOptions {
  title: string;
  /** A line under the title (machine, settings). */
  subtitle?: string;
  panels: readonly Panel[];
  panelWidth?: number;
  panelHeight?: number;
}

const MARGIN = { left: 64, right: 16, top: 34, bottom: 50 };
const HEADER = 52;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** 1.5M, 10k, 250, 0.5: short tick labels. */
export function compactNumber(value: number): string {
  const abs = Math.abs(value);
  const trim = (n: number) => String(Number(n.toFixed(2)));
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e3) return `${trim(value / 1e3)}k`;
  return trim(value);
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    ticks.push(10 ** e);
  }
  return ticks;
}

function range(values: number[], log: boolean): [number, number] {
  if (values.length === 0) return log ? [1, 10] : [0, 1];
  if (log) {
    const positive = values.filter((v) => v > 0);
    return [
      10 ** Math.floor(Math.log10(Math.min(...positive))),
      10 ** Math.ceil(Math.log10(Math.max(...positive))),
    ];
  }
  const max = Math.max(0, ...values) || 1;
  const ticks = niceTicks(0, max);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : max;
  return [Math.min(0, ...values), Math.ceil(max / step) * step];
}

function renderPanel(panel: Panel, x0: number, y0: number, width: number, height: number) {
  const plot = {
    left: x0 + MARGIN.left,
    top: y0 + MARGIN.top,
    width: width - MARGIN.left - MARGIN.right,
    height: height - MARGIN.top - MARGIN.bottom,
  };
  const all = panel.series.flatMap((s) => s.points);
  const [xMin, xMax] = panel.xRange ?? range(all.map((p) => p.x), panel.xLog ?? false);
  const [yMin, yMax] = panel.yRange ?? range(all.map((p) => p.y), false);
  const fx = (x: number) => {
    const t = panel.xLog
      ? (Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))
      : (x - xMin) / (xMax - xMin);
    return plot.left + t * plot.width;
  };
  const fy = (y: number) => plot.top + plot.height - ((y - yMin) / (yMax - yMin)) * plot.height;
  const xFormat = panel.xFormat ?? compactNumber;
  const yFormat = panel.yFormat ?? compactNumber;
  const out: string[] = [];
  out.push(
    `<text x="${x0 + width / 2}" y="${y0 + 20}" text-anchor="middle" font-size="14" ` +
      `font-weight="bold" ${FONT}>${escapeXml(panel.title)}</text>`,
  );
  const xTicks = panel.xLog ? logTicks(xMin, xMax) : niceTicks(xMin, xMax);
  for (const t of xTicks.filter((v) => v >= xMin && v <= xMax)) {
    const x = fx(t).toFixed(1);
    out.push(
      `<line x1="${x}" y1="${plot.top}" x2="${x}" y2="${plot.top + plot.height}" ` +
        `stroke="#e5e5e5"/>`,
      `<text x="${x}" y="${plot.top + plot.height + 16}" text-anchor="middle" font-size="11" ` +
        `fill="#333" ${FONT}>${escapeXml(xFormat(t))}</text>`,
    );
  }
  for (const t of niceTicks(yMin, yMax).filter((v) => v >= yMin && v <= yMax)) {
    const y = fy(t).toFixed(1);
    out.push(
      `<line x1="${plot.left}" y1="${y}" x2="${plot.left + plot.width}" y2="${y}" ` +
        `stroke="#e5e5e5"/>`,
      `<text x="${plot.left - 6}" y="${Number(y) + 4}" text-anchor="end" font-size="11" ` +
        `fill="#333" ${FONT}>${escapeXml(yFormat(t))}</text>`,
    );
  }
  out.push(
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.width}" height="${plot.height}" ` +
      `fill="none" stroke="#888"/>`,
    `<text x="${plot.left + plot.width / 2}" y="${plot.top + plot.height + 34}" ` +
      `text-anchor="middle" font-size="12" ${FONT}>${escapeXml(panel.xLabel)}</text>`,
    `<text transform="translate(${x0 + 16} ${plot.top + plot.height / 2}) rotate(-90)" ` +
      `text-anchor="middle" font-size="12" ${FONT}>${escapeXml(panel.yLabel)}</text>`,
  );
  // Point labels go beside their point where they overlap no other label and stay inside the
  // plot; else they are left out (crowded points near the origin).
  const placed: { x0: number; y0: number; x1: number; y1: number }[] = [];
  const place = (px: number, py: number, text: string) => {
    const w = text.length * 5.6 + 2;
    const spots = [[7, -7], [7, 15], [-7 - w, -7], [-7 - w, 15]] as const;
    for (const [dx, dy] of spots) {
      const box = { x0: px + dx, y0: py + dy - 10, x1: px + dx + w, y1: py + dy + 2 };
      const inside = box.x0 >= plot.left && box.x1 <= plot.left + plot.width &&
        box.y0 >= plot.top && box.y1 <= plot.top + plot.height;
      const free = placed.every((o) =>
        box.x1 < o.x0 || box.x0 > o.x1 || box.y1 < o.y0 || box.y0 > o.y1
      );
      if (inside && free) {
        placed.push(box);
        return { x: box.x0, y: py + dy };
      }
    }
    return null;
  };
  for (const series of panel.series) {
    const pts = series.points.map((p) => ({ ...p, px: fx(p.x), py: fy(p.y) }));
    if ((series.line ?? true) && pts.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${series.color}" stroke-width="2"` +
          `${series.dashed ? ' stroke-dasharray="6 4"' : ""} points="${
            pts.map((p) => `${p.px.toFixed(1)},${p.py.toFixed(1)}`).join(" ")
          }"/>`,
      );
    }
    if (!(series.markers ?? true)) continue;
    for (const p of pts) {
      out.push(
        `<circle cx="${p.px.toFixed(1)}" cy="${p.py.toFixed(1)}" r="4" fill="${series.color}"/>`,
      );
      const spot = p.label ? place(p.px, p.py, p.label) : null;
      if (!spot) continue;
      out.push(
        `<text x="${spot.x.toFixed(1)}" y="${spot.y.toFixed(1)}" font-size="10" ` +
          `fill="${series.color}" ${FONT}>${escapeXml(p.label!)}</text>`,
      );
    }
  }
  // Legend inside the plot, one line per series, on a white box, in a corner the data leaves.
  const legendWidth = 28 + Math.max(...panel.series.map((s) => s.name.length)) * 6;
  const legendHeight = panel.series.length * 16 + 6;
  const bottomRight = panel.legend === "bottom-right";
  const bx = bottomRight ? plot.left + plot.width - 8 - legendWidth : plot.left + 8;
  const by = bottomRight ? plot.top + plot.height - 8 - legendHeight : plot.top + 8;
  out.push(
    `<rect x="${bx}" y="${by}" width="${legendWidth}" height="${legendHeight}" fill="#fff" ` +
      `fill-opacity="0.85" stroke="#ccc"/>`,
  );
  panel.series.forEach((series, i) => {
    const lx = bx + 6;
    const ly = by + 16 + i * 16;
    out.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 16}" y2="${ly - 4}" stroke="${series.color}" ` +
        `stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
      `<text x="${lx + 22}" y="${ly}" font-size="11" fill="#333" ${FONT}>${
        escapeXml(series.name)
      }</text>`,
    );
  });
  return out.join("\n");
}

export function renderChart(options: ChartOptions): string {
  const pw = options.panelWidth ?? 440;
  const ph = options.panelHeight ?? 320;
  const width = pw * options.panels.length;
  const height = HEADER + ph;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold" ` +
    `${FONT}>${escapeXml(options.title)}</text>`,
  ];
  if (options.subtitle) {
    parts.push(
      `<text x="${width / 2}" y="40" text-anchor="middle" font-size="11" fill="#555" ${FONT}>${
        escapeXml(options.subtitle)
      }</text>`,
    );
  }
  options.panels.forEach((panel, i) => parts.push(renderPanel(panel, i * pw, HEADER, pw, ph)));
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
