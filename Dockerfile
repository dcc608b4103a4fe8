# The auth service's production image: the build (`npm run build`, JavaScript in dist/) run by
# plain node, with no TypeScript tooling loaded by the service.
#   docker build -t cathouse-auth .
#   docker run --env-file runtime.env -p 3000:3000 cathouse-auth                   # the service
#   docker run --env-file migration.env cathouse-auth node src/cli/bin.js up       # the migrations (one-shot job)
# Two environments (.env.example): the service never holds the owner's MIGRATION_DATABASE_URL, the
# migration job never holds the signing key, TOKEN_SECRET or SMTP_URL. Secrets are best mounted as
# files (JWT_PRIVATE_KEY_FILE, TOKEN_SECRET_FILE, DATABASE_URL_FILE...): `--env-file` keeps quotes
# literally, and a quoted value is refused with a line saying so.
# The migration CLI reads the migrations' TypeScript sources, whose checksums are what the
# history records, so the image keeps src/ for it (compiled through swc at its start, as in development).
#
# Node: the current LTS line (24), pinned to a release; bump it with the security releases (pin the
# digest too, `node:24.11.1-bookworm-slim@sha256:...`, where the registry is reachable). The
# package's `engines` still allow 20.19+, where development and CI machines may be.
ARG NODE_IMAGE=node:24.11.1-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages packages
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages packages
# --omit=dev leaves out embedded-postgres and its ~60 MB of PostgreSQL binaries (development only:
# production refuses to start or migrate without a database URL).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY src src
COPY data-source.ts tsconfig.json ./
COPY --from=build /app/dist dist
# DATA_DIR (development keys when NODE_ENV is not production) must be writable by the service's user.
RUN mkdir -p .data && chown node:node .data
USER node
EXPOSE 3000
# Liveness: the process answers (readiness, /ready, is for the load balancer). node, not curl: the slim image has none.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/v1/auth/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself, no npm in between: SIGTERM reaches the service, which drains and exits. A young
# generation of 8 MiB semi-spaces instead of V8's 16 caps the peak RSS under load (docs/benchmarks.md).
CMD ["node", "--max-semi-space-size=8", "dist/src/main.js"]
