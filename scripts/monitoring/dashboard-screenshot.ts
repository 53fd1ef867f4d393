/**
 * Renders the dashboard's queries over a demo run, with headless Chromium, into PNGs beside the
 * dashboard (one per dashboard row). Grafana is not in Debian's packages here, so the queries are
 * shown in a live Prometheus's own graph pages: the same PromQL as the Grafana panels, drawn by
 * Prometheus's UI instead.
 *
 *   node --import tsx scripts/monitoring/dashboard-screenshot.ts [--range 5m] [--out DIR]
 *
 * What it does: starts Debian's `prometheus` on a free port with a temporary configuration
 * (scraping one worker every 2 s, the alert rules loaded) and a private redis-server, runs
 * `make demo` (scripts/demo.ts, KEEP=1, its own database claims_demo_dashboard) whose worker
 * Prometheus scrapes, runs one rerun of the demo's fortnight for more traffic, then screenshots
 * the graph pages and stops everything it started.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { RedisServer } from "../chaos/services.ts";
import { freePort, waitForPort } from "../lib/free-port.ts";
import { repoRoot } from "../lib/temporal-dev-server.ts";

const { values: args } = parseArgs({
  options: {
    range: { type: "string", default: "5m" },
    out: { type: "string", default: path.join(repoRoot, "monitoring/grafana/dashboards") },
  },
});

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string; legendFormat?: string }[];
}

/** The dashboard's rows, each with the queries of its panels. */
function dashboardRows(): { title: string; queries: { title: string; expr: string }[] }[] {
  const file = path.join(repoRoot, "monitoring/grafana/dashboards/claims-worker.json");
  const panels = (JSON.parse(fs.readFileSync(file, "utf8")) as { panels: Panel[] }).panels;
  const rows: { title: string; queries: { title: string; expr: string }[] }[] = [];
  for (const panel of panels) {
    if (panel.type === "row") rows.push({ title: panel.title, queries: [] });
    else if (panel.type !== "table") {
      for (const t of panel.targets ?? []) {
        rows.at(-1)?.queries.push({ title: panel.title, expr: t.expr });
      }
    }
  }
  return rows;
}

function graphUrl(base: string, exprs: readonly string[], range: string): string {
  const params = exprs.flatMap((expr, i) => [
    `g${i}.expr=${encodeURIComponent(expr)}`,
    `g${i}.tab=0`,
    `g${i}.stacked=0`,
    `g${i}.show_exemplars=0`,
    `g${i}.range_input=${range}`,
  ]);
  return `${base}/graph?${params.join("&")}`;
}

function run(command: string, argv: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: repoRoot, env, stdio: "inherit" });
    child.once("error", reject);
    child.once("exit", (code) => resolve(code ?? 1));
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "claims-dashboard-"));
const cleanups: (() => Promise<void> | void)[] = [
  () => fs.rmSync(tmp, { recursive: true, force: true }),
];
let exitCode = 0;
try {
  const metricsPort = await freePort();
  const promPort = await freePort();
  fs.writeFileSync(
    path.join(tmp, "prometheus.yml"),
    [
      "global: { scrape_interval: 2s, evaluation_interval: 5s }",
      `rule_files: ["${path.join(repoRoot, "monitoring/prometheus/claims-alerts.yml")}"]`,
      "scrape_configs:",
      "  - job_name: claims-worker",
      `    static_configs: [{ targets: ["127.0.0.1:${metricsPort}"] }]`,
      "",
    ].join("\n"),
  );
  const prometheus = spawn("prometheus", [
    `--config.file=${path.join(tmp, "prometheus.yml")}`,
    `--storage.tsdb.path=${path.join(tmp, "data")}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
  ], { stdio: ["ignore", fs.openSync(path.join(tmp, "prometheus.log"), "a"), "inherit"] });
  cleanups.push(() => void prometheus.kill("SIGTERM"));
  await waitForPort("127.0.0.1", promPort, 30_000);
  const promUrl = `http://127.0.0.1:${promPort}`;
  console.log(`prometheus at ${promUrl}, scraping 127.0.0.1:${metricsPort}`);

  const redis = await RedisServer.start(path.join(tmp, "redis.log"));
  cleanups.push(() => redis.stop());
  const env: Record<string, string> = {
    ...process.env as Record<string, string>,
    KEEP: "1",
    METRICS_PORT: String(metricsPort),
    DEMO_TEMPORAL_PORT: String(await freePort()),
    DEMO_UI_PORT: String(await freePort()),
    DATABASE_URL: "postgres://postgres@127.0.0.1:5432/claims_demo_dashboard",
    REDIS_URL: redis.url,
  };
  const keptFile = path.join(repoRoot, ".cache/demo/kept.json");
  fs.rmSync(keptFile, { force: true });
  cleanups.push(() => {
    if (!fs.existsSync(keptFile)) return;
    const { pids } = JSON.parse(fs.readFileSync(keptFile, "utf8")) as { pids: number[] };
    for (const pid of pids.reverse()) {
      try {
        process.kill(pid, "SIGTERM");
      } catch { /* gone */ }
    }
  });
  if ((await run(process.execPath, ["--import", "tsx", "scripts/demo.ts"], env)) !== 0) {
    throw new Error("the demo failed");
  }
  // More traffic for the graphs: recompute the demo's fortnight once through the same worker.
  await run(process.execPath, [
    "--import",
    "tsx",
    "src/cli/main.ts",
    "rerun",
    "--all",
    "--from",
    env["DEMO_FROM"] ?? "2025-06-01",
    "--to",
    env["DEMO_TO"] ?? "2025-06-14",
  ], {
    ...env,
    TEMPORAL_ADDRESS: `127.0.0.1:${env["DEMO_TEMPORAL_PORT"]}`,
    TEMPORAL_TASK_QUEUE: "claims-demo",
  });
  await new Promise((r) => setTimeout(r, 15_000)); // a few more scrapes, rules evaluated

  const rows = dashboardRows();
  for (const [i, row] of rows.entries()) {
    const file = path.join(args.out!, `claims-worker-${i + 1}.png`);
    const height = 300 + row.queries.length * 620;
    const profile = fs.mkdtempSync(path.join(tmp, "chromium-"));
    const shot = spawnSync("chromium", [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--hide-scrollbars",
      `--user-data-dir=${profile}`,
      `--window-size=1280,${height}`,
      "--virtual-time-budget=20000",
      `--screenshot=${file}`,
      graphUrl(promUrl, row.queries.map((q) => q.expr), args.range!),
    ], { encoding: "utf8", timeout: 120_000 });
    if (shot.status !== 0 || !fs.existsSync(file)) {
      throw new Error(`chromium failed for row "${row.title}": ${shot.stderr}`);
    }
    console.log(
      `${path.relative(repoRoot, file)}: ${row.title} (${
        row.queries.map((q) => q.title).join("; ")
      })`,
    );
  }
} catch (error) {
  console.error(`dashboard screenshot failed: ${(error as Error).message}`);
  exitCode = 1;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}
process.exit(exitCode);
