/**
 * compose.yaml, checked without a Docker engine: Docker Compose itself loads it, validates it
 * against the Compose specification and resolves every reference (`config --quiet`), then
 * prints it normalized as JSON, which must describe what the cluster suites run: the same
 * Temporal release, shards, schemas and dynamic config as scripts/lib/temporal-cluster.ts, the
 * same namespace and search attributes as scripts/lib/temporal-namespace.ts, and a worker whose
 * every environment variable is one src/config.ts reads.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { before, describe, test } from "../../support/test.ts";
import { serviceMissing } from "../../support/env.ts";
import { loadConfig } from "../../../src/config.ts";
import {
  DEFAULT_HISTORY_SHARDS,
  dynamicConfigFile,
  SCHEMAS,
  TEMPORAL_SERVER_VERSION,
} from "../../../scripts/lib/temporal-cluster.ts";
import {
  CLAIMS_NAMESPACE,
  CLAIMS_SEARCH_ATTRIBUTES,
} from "../../../scripts/lib/temporal-namespace.ts";

const execFileAsync = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const composeFile = path.join(repoRoot, "compose.yaml");

/** DOCKER_COMPOSE_BIN, the one `make services` builds, or the Docker CLI's plugin. */
function composeCommand(): [string, string[]] {
  const built = process.env["DOCKER_COMPOSE_BIN"] ??
    path.join(repoRoot, ".cache/bin/docker-compose");
  return fs.existsSync(built) ? [built, []] : ["docker", ["compose"]];
}

async function compose(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [command, prefix] = composeCommand();
  // No variables from this shell: the file's own defaults are what is checked.
  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "",
    HOME: process.env["HOME"] ?? "/",
  };
  try {
    const { stdout, stderr } = await execFileAsync(
      command,
      [...prefix, "--project-directory", repoRoot, "-f", composeFile, ...args],
      { env, maxBuffer: 16 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code === "string") {
      throw serviceMissing("Docker Compose", `${command}: ${e.code}`, error);
    }
    return { code: e.code ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

interface Service {
  image?: string;
  entrypoint?: string[] | null;
  command?: string[] | null;
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: { type: string; source: string; target: string; read_only?: boolean }[];
  healthcheck?: { test: string[] };
  profiles?: string[];
}

/** The variable names src/config.ts reads (its `read("NAME", …)` calls and TEMPORAL_TLS). */
function configVariables(): Set<string> {
  const source = fs.readFileSync(path.join(repoRoot, "src", "config.ts"), "utf8");
  const names = [...source.matchAll(/read\(\s*"([A-Z][A-Z0-9_]*)"/g)].map((m) => m[1]!);
  names.push(...[...source.matchAll(/vars\["([A-Z][A-Z0-9_]*)"\]/g)].map((m) => m[1]!));
  return new Set(names);
}

describe("compose.yaml", () => {
  let services: Record<string, Service> = {};

  before(async () => {
    const { code, stdout, stderr } = await compose([
      "--profile",
      "*",
      "config",
      "--format",
      "json",
    ]);
    assert.equal(code, 0, stderr);
    services = (JSON.parse(stdout) as { services: Record<string, Service> }).services;
  });

  test("Docker Compose validates it against the Compose specification", async () => {
    const { code, stderr } = await compose(["config", "--quiet"]);
    assert.equal(code, 0, stderr);
    // The same check fails on a file with an unknown key (the validation is real).
    const broken = path.join(repoRoot, ".cache", "tmp", `compose-broken-${process.pid}.yaml`);
    fs.mkdirSync(path.dirname(broken), { recursive: true });
    fs.writeFileSync(
      broken,
      fs.readFileSync(composeFile, "utf8").replace("  redis:\n", "  redis:\n    colour: red\n"),
    );
    try {
      const [command, prefix] = composeCommand();
      const failed = await execFileAsync(command, [
        ...prefix,
        "--project-directory",
        repoRoot,
        "-f",
        broken,
        "config",
        "--quiet",
      ]).then(() => null, (e: { stderr?: string }) => e.stderr ?? "failed");
      assert.match(failed ?? "", /colour/);
    } finally {
      fs.rmSync(broken, { force: true });
    }
  });

  test("the Temporal server is the release the cluster runs, on PostgreSQL with its shards and dynamic config", () => {
    const temporal = services["temporal"]!;
    assert.equal(temporal.image, `temporalio/server:${TEMPORAL_SERVER_VERSION}`);
    const env = temporal.environment!;
    assert.equal(env["DB"], "postgres12");
    assert.equal(env["NUM_HISTORY_SHARDS"], String(DEFAULT_HISTORY_SHARDS));
    assert.notEqual(env["DBNAME"], env["VISIBILITY_DBNAME"]);
    const mount = temporal.volumes?.find((v) => v.source === dynamicConfigFile);
    assert.ok(mount, "deploy/temporal/dynamic-config.yaml is mounted");
    assert.equal(mount.read_only, true);
    assert.equal(env["DYNAMIC_CONFIG_FILE_PATH"], mount.target);
    assert.equal(
      temporal.depends_on?.["temporal-schema"]?.condition,
      "service_completed_successfully",
    );
    for (const tool of ["temporal-schema", "temporal-setup"]) {
      assert.match(
        services[tool]!.image!,
        new RegExp(`^temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}-`),
      );
    }
    assert.match(services["temporal-ui"]!.image!, /^temporalio\/ui:\d+\.\d+\.\d+$/);
  });

  test("the schema job sets up both databases with the schemas the cluster launcher uses", () => {
    const schema = services["temporal-schema"]!;
    const script = [...(schema.entrypoint ?? []), ...(schema.command ?? [])].join("\n");
    const env = services["temporal"]!.environment!;
    assert.ok(script.includes(`${env["DBNAME"]}:${SCHEMAS.persistence}`), script);
    assert.ok(script.includes(`${env["VISIBILITY_DBNAME"]}:${SCHEMAS.visibility}`), script);
    for (const step of ["create-database", "setup-schema -v 0.0", "update-schema --schema-name"]) {
      assert.ok(script.includes(step), step);
    }
  });

  test("the setup job registers the namespace and exactly the project's search attributes", () => {
    const setup = services["temporal-setup"]!;
    const script = [...(setup.entrypoint ?? []), ...(setup.command ?? [])].join("\n");
    const namespaces = new Set([...script.matchAll(/--namespace (\S+)/g)].map((m) => m[1]));
    assert.deepEqual([...namespaces], [CLAIMS_NAMESPACE]);
    const attributes = [...script.matchAll(/--name (\S+) --type (\S+)/g)].map((m) => ({
      name: m[1],
      type: m[2],
    }));
    assert.deepEqual(
      attributes,
      CLAIMS_SEARCH_ATTRIBUTES.map((a) => ({ name: a.name, type: a.type })),
    );
  });

  test("the worker runs the compiled CLI with the configuration the cluster suites use", () => {
    const known = configVariables();
    assert.ok(known.has("DATABASE_URL") && known.has("TEMPORAL_NAMESPACE"), "config.ts parsed");
    for (const name of ["worker", "worker-deno", "migrate", "claims"]) {
      const env = services[name]!.environment!;
      for (const variable of Object.keys(env)) {
        assert.ok(
          known.has(variable),
          `${name}: ${variable} is not a variable src/config.ts reads`,
        );
      }
    }
    const worker = services["worker"]!;
    assert.deepEqual([...worker.entrypoint!, ...worker.command!], [
      "node",
      "dist/cli.js",
      "worker",
    ]);
    const env = worker.environment as Record<string, string>;
    for (
      const variable of [
        "DATABASE_URL",
        "REDIS_URL",
        "TEMPORAL_ADDRESS",
        "TEMPORAL_NAMESPACE",
        "TEMPORAL_TASK_QUEUE",
        "LOCK_BACKEND",
        "METRICS_PORT",
      ]
    ) assert.ok(env[variable], `worker sets ${variable}`);
    const config = loadConfig(env);
    assert.equal(config.temporal.namespace, CLAIMS_NAMESPACE);
    assert.equal(config.temporal.address, "temporal:7233");
    assert.deepEqual(worker.depends_on?.["temporal-setup"], {
      condition: "service_completed_successfully",
      required: true,
    });
    // Ready means its dependencies answer: /readyz on METRICS_PORT, not just a live process.
    const probe = worker.healthcheck!.test.join(" ");
    assert.ok(probe.includes(`http://127.0.0.1:${env["METRICS_PORT"]}/readyz`), probe);
  });
});
