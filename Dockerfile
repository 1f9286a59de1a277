# Kassa's production image: `node dist/worker.js` (no tsx, no webpack at start) as a non-root user
# under tini. KASSA_ROLE (api | worker | all) selects what it runs; `node deploy/migrate.cjs` applies
# the migrations and exits (the compose job migrate); see docker-compose.yml.

# Build: every package, the TypeScript compiled to dist/ and the workflow bundles prebuilt, then
# the dev packages pruned so that the runtime stage copies production packages only.
FROM node:22.23.3-bookworm-slim AS build
WORKDIR /app
# npm 10 runs every install script; this one only reports analytics.
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig*.json worker.ts ./
COPY scripts/build.ts scripts/node22.cjs ./scripts/
COPY src ./src
COPY simulators ./simulators
# The Temporal SDK's native library ships for five platforms: keep this one's (about 110 MB less).
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  && find node_modules/@temporalio/core-bridge/releases -mindepth 1 -maxdepth 1 ! -name "$(uname -m)-unknown-linux-gnu" -exec rm -rf {} + \
  && npm cache clean --force

# Runtime: Node, tini, the production packages and dist/, owned by root and read-only to the app.
FROM node:22.23.3-bookworm-slim AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
  KASSA_ENV=production \
  HOST=0.0.0.0 \
  PORT=3000 \
  DATA_DIR=/app/.data
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY deploy/healthcheck.cjs ./deploy/healthcheck.cjs
COPY deploy/migrate.cjs ./deploy/migrate.cjs
RUN mkdir -p /app/.data && chown node:node /app/.data
# The embedded database, the admin token and the keys live here: keep it across containers.
VOLUME /app/.data
USER node
EXPOSE 3000
# GET /readyz on PORT: 200 once PostgreSQL and Temporal answer. A worker-only container
# (KASSA_ROLE=worker) serves no API: docker-compose.yml checks its METRICS_PORT instead.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["node", "deploy/healthcheck.cjs"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/worker.js"]
