# The auth service's production image: the build (`npm run build`, JavaScript in dist/) run by
# plain node, with no TypeScript tooling loaded by the service.
#   docker build -t cathouse-auth .
#   docker run --env-file .env -p 3000:3000 cathouse-auth                  # the service
#   docker run --env-file .env cathouse-auth node src/cli/bin.js up       # the migrations (one-shot job)
# The migration CLI reads the migrations' TypeScript sources, whose checksums are what the
# history records, so the image keeps src/ for it (compiled through swc at its start, as in development).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages packages
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages packages
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY src src
COPY data-source.ts tsconfig.json ./
COPY --from=build /app/dist dist
# DATA_DIR (development keys when NODE_ENV is not production) must be writable by the service's user.
RUN mkdir -p .data && chown node:node .data
USER node
EXPOSE 3000
# node itself as PID 1's child of nothing: SIGTERM reaches the service, which drains and exits.
CMD ["node", "dist/src/main.js"]
