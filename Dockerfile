# Warden for the production topology in docker-compose.yml: one image, run as `node bin/warden.js worker`
# or `node bin/warden.js api` (the compose file's commands).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Compiled once here (TypeScript is a dev dependency), then only what runs is kept.
RUN node scripts/build-dist.mjs && npm prune --omit=dev --no-audit --no-fund
# No volume: a replica keeps nothing another needs (exports are in PostgreSQL, the key comes from the
# environment); the data directory only caches the workflow bundle, and may be lost or read-only.
ENV NODE_ENV=production WARDEN_DATA_DIR=/tmp/warden WARDEN_HTTP_HOST=0.0.0.0
EXPOSE 8787
USER node
CMD ["node", "bin/run.js", "worker/main.ts"]
