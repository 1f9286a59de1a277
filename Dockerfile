FROM node:20.19.5-bookworm-slim

WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY . .

ENV NODE_ENV=production
USER node

# KASSA_ROLE (api | worker | all) selects what the entry point runs.
CMD ["npx", "tsx", "worker.ts"]
