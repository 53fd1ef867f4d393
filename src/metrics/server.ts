/**
 * One HTTP endpoint for everything Prometheus scrapes from a worker, on METRICS_PORT: the
 * project's counters, followed by the Temporal runtime's own metrics, which the SDK exports on
 * an internal loopback port that this server reads and appends. One port to open, one target.
 */
import http from "node:http";
import net from "node:net";
import type { Logger } from "../log.ts";
import type { MetricsRegistry } from "./registry.ts";

export interface MetricsServer {
  /** The port it listens on (useful with METRICS_PORT=0). */
  port: number;
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
  host?: string;
  registry: MetricsRegistry;
  /** Where the Temporal runtime exports its metrics (http://127.0.0.1:PORT/metrics). */
  temporalUrl?: string;
  log?: Logger;
}

export function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || (path !== "/metrics" && path !== "/")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found; try /metrics\n");
      return;
    }
    void (async () => {
      let body = options.registry.render();
      if (options.temporalUrl) {
        try {
          body += await fetchText(options.temporalUrl, 2_000);
        } catch (error) {
          options.log?.warn("temporal runtime metrics unavailable", { error });
        }
      }
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(body);
    })();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : options.port;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
