/**
 * One HTTP endpoint for everything Prometheus and an orchestrator ask a worker, on
 * METRICS_HOST:METRICS_PORT:
 *
 *   /metrics  the worker's registry (prom-client), then the Temporal runtime's own metrics,
 *             which the SDK exports on an internal loopback port that this server reads and
 *             appends: one port to open, one scrape target
 *   /healthz  200 while the process serves requests (liveness: restart it when this fails)
 *   /readyz   200 when PostgreSQL, the lock backend and Temporal answer and the worker polls,
 *             else 503; the body says which (readiness: send it no work, page on it)
 *
 * The server is bound before anything else starts, so a taken port is the first thing a
 * worker reports, in its own words, and not hidden behind a shutdown error.
 */
import http from "node:http";
import net from "node:net";
import type { Registry } from "prom-client";
import type { Logger } from "../log.ts";
import type { ReadinessReport } from "../health/readiness.ts";
import { StartupError, StartupExitCodes } from "../health/startup-errors.ts";

export interface MetricsServer {
  /** The port it listens on (the OS's choice when asked for an ephemeral one). */
  port: number;
  host: string;
  close(): Promise<void>;
}

/** A loopback port that was free a moment ago (for the SDK's internal exporter). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function fetchText(url: string, timeoutMs: number): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return await response.text();
}

export interface MetricsServerOptions {
  port: number;
  host: string;
  registry: Registry;
  /** Where the Temporal runtime exports its metrics (http://127.0.0.1:PORT/metrics). */
  temporalUrl?: string | undefined;
  /** The readiness of the worker; "starting" (503) until it is set. */
  readiness?: () => ReadinessReport | null;
  log?: Logger;
}

/** The message and exit code of a listen error: the variable to change and how. */
export function listenError(error: unknown, host: string, port: number): StartupError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const where = `${host}:${port}`;
  const message = code === "EADDRINUSE"
    ? `METRICS_PORT ${port} is in use on ${host}; set METRICS_PORT to a free port or 0 ` +
      "(no metrics or health endpoints)"
    : code === "EADDRNOTAVAIL" || code === "EINVAL" || code === "ENOTFOUND" || code === "EAI_AGAIN"
    ? `METRICS_HOST ${host} is not an address of this host (${code}); set METRICS_HOST to one ` +
      "of its addresses, 0.0.0.0 (all) or 127.0.0.1"
    : code === "EACCES"
    ? `METRICS_PORT ${port} needs privileges this process lacks (EACCES); set METRICS_PORT to ` +
      "a port above 1023"
    : `cannot listen on ${where} for metrics: ${(error as Error)?.message ?? String(error)}; ` +
      "check METRICS_HOST and METRICS_PORT";
  return new StartupError(StartupExitCodes.METRICS_PORT_UNAVAILABLE, message, { cause: error });
}

export function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (path === "/readyz") {
      const report = options.readiness?.() ?? null;
      const body = report ?? { ready: false, starting: true };
      res.writeHead(report?.ready ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify(body) + "\n");
      return;
    }
    if (path !== "/metrics" && path !== "/") {
      res.writeHead(404, { "content-type": "text/plain" }).end(
        "not found; try /metrics, /healthz or /readyz\n",
      );
      return;
    }
    void (async () => {
      let body: string;
      try {
        body = await options.registry.metrics();
      } catch (error) {
        options.log?.warn("rendering metrics failed", { error });
        res.writeHead(500, { "content-type": "text/plain" }).end("metrics failed\n");
        return;
      }
      if (options.temporalUrl) {
        try {
          body += await fetchText(options.temporalUrl, 2_000);
        } catch (error) {
          options.log?.warn("temporal runtime metrics unavailable", { error });
        }
      }
      res.writeHead(200, { "content-type": options.registry.contentType });
      res.end(body);
    })();
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error) => reject(listenError(error, options.host, options.port)));
    server.listen(options.port, options.host, () => {
      server.removeAllListeners("error");
      server.on("error", (error) => options.log?.warn("metrics server error", { error }));
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : options.port;
      resolve({
        port,
        host: options.host,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
