/** The settings this change adds: METRICS_HOST, METRICS_RUNS_INTERVAL_MS, TEMPORAL_UI_URL. */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { test } from "../support/test.ts";

test("defaults: metrics on all interfaces, run gauges every minute, the UI beside the frontend", () => {
  const config = loadConfig({});
  assert.equal(config.metricsHost, "0.0.0.0");
  assert.equal(config.metricsRunsIntervalMs, 60_000);
  assert.equal(config.temporal.uiUrl, "http://127.0.0.1:8233");
  assert.equal(
    loadConfig({ TEMPORAL_ADDRESS: "temporal.internal:7233" }).temporal.uiUrl,
    "http://temporal.internal:8233",
  );
  assert.equal(
    loadConfig({ TEMPORAL_UI_URL: "https://ui.example/" }).temporal.uiUrl,
    "https://ui.example",
  );
  assert.equal(loadConfig({ METRICS_HOST: "::" }).metricsHost, "::");
});

test("bad values name the variable, and a bad TEMPORAL_ADDRESS does not blame TEMPORAL_UI_URL", () => {
  assert.throws(
    () => loadConfig({ METRICS_HOST: "not a host!" }),
    /METRICS_HOST: must be a host name or an IP address/,
  );
  assert.throws(
    () => loadConfig({ TEMPORAL_UI_URL: "ftp://ui" }),
    /TEMPORAL_UI_URL: must use http:\/\/ or https:\/\//,
  );
  assert.throws(
    () => loadConfig({ METRICS_RUNS_INTERVAL_MS: "-5" }),
    /METRICS_RUNS_INTERVAL_MS: must be an integer/,
  );
  assert.throws(
    () => loadConfig({ TEMPORAL_ADDRESS: "no port" }),
    (error: Error) =>
      /TEMPORAL_ADDRESS/.test(error.message) && !/TEMPORAL_UI_URL/.test(error.message),
  );
});
