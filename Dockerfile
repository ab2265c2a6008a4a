# Multi-stage build: compile TypeScript and the dashboard with dev dependencies, then run the
# compiled JavaScript with production dependencies only, as a non-root user, on Node 24 LTS.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build-assets.mjs ./scripts/
COPY src ./src
COPY web ./web
# dist/ (the service, the `market-data` command, ReDoc's bundle) and web/dist (the dashboard).
RUN npm run build

FROM node:24-bookworm-slim AS runtime
# HOST=0.0.0.0 so the published port reaches the service; on such a HOST it refuses to start
# without API_KEY (or ALLOW_OPEN_WRITES=true), and rate-limits each client by default.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000 DATA_DIR=/data LOG_FORMAT=json
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY migrations ./migrations
# `docker exec <container> market-data etl --tickers IBM` and the like.
RUN ln -s /app/dist/cli/market-data.js /usr/local/bin/market-data && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/api/v1/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
