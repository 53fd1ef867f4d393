# The claims worker image (used by compose.yaml). The build stage runs `npm run build`, the
# same command as `make build`: the CLI as JavaScript in dist/ and the workflow bundle
# prebuilt into dist/workflows.js. The runtime stage holds production dependencies only (no
# tsx, no esbuild) and runs `node dist/cli.js`, whose worker loads dist/workflows.js instead
# of bundling at every start. tests/cli/image.test.ts replays the build stage's steps and
# runs the result. The same image also runs the worker on Deno (`deno run -A src/cli/main.ts
# worker`, compose profile "deno"): the deno binary comes from the npm package pinned in
# package-lock.json, the one the tests run the Deno worker with.

# The deno binary for this platform, placed by the npm package's own installer (its
# install_api picks the @deno/<platform> package that npm ci brought).
FROM node:20-bookworm-slim AS deno
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && cp "$(node -p "require('deno/install_api.cjs').runInstall()")" /usr/local/bin/deno \
 && /usr/local/bin/deno --version

# dist/: every dependency (esbuild and tsx are dev dependencies), then the build.
FROM node:20-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.ts ./scripts/build.ts
COPY scripts/lib/build-info.ts ./scripts/lib/build-info.ts
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
RUN npm run build

FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /app

COPY package.json package-lock.json ./
# Production dependencies only; no install scripts are needed.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

COPY --from=build /build/dist ./dist
COPY drizzle ./drizzle
# The sources, for the Deno worker (Deno runs TypeScript as it is).
COPY --from=deno /usr/local/bin/deno /usr/local/bin/deno
COPY tsconfig.json deno.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities

# Deno keeps its module cache here (the image's user owns it).
ENV DENO_DIR=/app/.deno
RUN mkdir -p /app/.deno && chown node:node /app/.deno
USER node
EXPOSE 9464
# Healthy = ready: PostgreSQL, Redis and Temporal answer and the worker polls (/readyz; /healthz
# says only that the process lives: the liveness probe of an orchestrator).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.METRICS_PORT||9464)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["worker"]
