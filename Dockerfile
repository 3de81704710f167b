# The Warden worker + HTTP API for the production topology in docker-compose.yml.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Compiled once here (TypeScript is a dev dependency), then only what runs is kept.
RUN node scripts/build-dist.mjs && npm prune --omit=dev --no-audit --no-fund
ENV NODE_ENV=production WARDEN_DATA_DIR=/data WARDEN_HTTP_HOST=0.0.0.0
VOLUME /data
EXPOSE 8787
USER node
CMD ["node", "bin/run.js", "worker/main.ts"]
