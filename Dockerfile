# The claims worker image (used by compose.yaml). TypeScript runs through tsx, exactly as on a
# developer machine, so the image holds the same code paths that the tests exercise.
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /app

COPY package.json package-lock.json ./
# Dependencies only (no deno, drizzle-kit or test tools); no install scripts are needed.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY drizzle ./drizzle

USER node
EXPOSE 9464
ENTRYPOINT ["node", "--import", "tsx", "src/cli/main.ts"]
CMD ["worker"]
