# syntax=docker/dockerfile:1
#
# auth0-logs-to-logstash as a container image: the npm package, installed from the tarball that
# `npm pack` makes with production dependencies only, on a distroless Node 24 (no shell, no
# package manager), run as the non-root user 65532, its state in the /data volume.
#
#   docker build -t auth0-logs-to-logstash .
#   docker run -d --name auth0-logs --env-file auth0.env -v auth0-logs:/data \
#     -p 127.0.0.1:3000:3000 auth0-logs-to-logstash
#   docker run --rm --env-file auth0.env -v auth0-logs:/data auth0-logs-to-logstash check
#
# Which tarball. By default the `pack` stage makes it from this checkout exactly as a release does
# (`npm ci`, then `npm pack`, whose prepack runs `npm run build`). To put into the image the very
# tarball that the package test installed and ran, hand its folder over in place of the `package`
# stage (BuildKit's named contexts):
#   npm pack --pack-destination out/ && docker build --build-context package=out/ .
# Either way the tarball is installed with the package test's own command:
#   npm install --omit=dev --global --prefix <dir> <tarball>
#
# Labels: pass --build-arg REVISION="$(git rev-parse HEAD)" and
# --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)"; VERSION must be the package's version.

ARG NODE_BUILD_IMAGE=node:24-bookworm-slim
ARG BASE_IMAGE=gcr.io/distroless/nodejs24-debian13:nonroot
# The base is pinned by digest, as image builds should be; renew it (Renovate, Dependabot, or
# `docker buildx imagetools inspect gcr.io/distroless/nodejs24-debian13:nonroot`) to pick up
# Node and Debian security fixes. This digest is one that public Dockerfiles pin for that tag: it
# could not be checked against the registry from the machine where this file was written.
# --build-arg BASE_DIGEST= (empty) builds on the tag alone.
ARG BASE_DIGEST=sha256:9eeb7f5887d0e239e78264b06f7f11d2e14be534050481803a9e4728fcdd278e

# ---- pack: the npm package's tarball, made from the sources ----
FROM ${NODE_BUILD_IMAGE} AS pack
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN mkdir /package && npm pack --pack-destination /package

# ---- package: the tarball alone (replace it with --build-context package=DIR) ----
FROM scratch AS package
COPY --from=pack /package/ /

# ---- install: the tarball, production dependencies only ----
FROM ${NODE_BUILD_IMAGE} AS install
ARG VERSION=0.2.0
COPY --from=package / /tmp/package/
COPY scripts/install-package.sh /tmp/
RUN set -eu; \
    set -- /tmp/package/auth0-logs-to-logstash-*.tgz; \
    if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then \
      echo "expected exactly one auth0-logs-to-logstash-*.tgz in the package stage, found: $*" >&2; \
      exit 1; \
    fi; \
    sh /tmp/install-package.sh "$1" /opt/auth0-logs-to-logstash; \
    app=/opt/auth0-logs-to-logstash/lib/node_modules/auth0-logs-to-logstash; \
    installed="$(node "$app/dist/cli/bin.js" --version)"; \
    if [ "$installed" != "$VERSION" ]; then \
      echo "the tarball holds version $installed, but VERSION (the image's label) is $VERSION" >&2; \
      exit 1; \
    fi; \
    test -f "$app/dist/cli/healthcheck.js"; \
    mkdir -m 0700 /data; \
    chown 65532:65532 /data

# ---- the image: distroless Node 24, non-root ----
FROM ${BASE_IMAGE}${BASE_DIGEST:+@${BASE_DIGEST}}
ARG BASE_IMAGE
ARG BASE_DIGEST
ARG VERSION=0.2.0
ARG REVISION=""
ARG CREATED=""
LABEL org.opencontainers.image.title="auth0-logs-to-logstash" \
      org.opencontainers.image.description="Export Auth0 tenants' logs to Logstash, Elasticsearch or OpenSearch, at least once" \
      org.opencontainers.image.url="https://github.com/auth0-logs-to-logstash/auth0-logs-to-logstash" \
      org.opencontainers.image.source="https://github.com/auth0-logs-to-logstash/auth0-logs-to-logstash" \
      org.opencontainers.image.documentation="https://github.com/auth0-logs-to-logstash/auth0-logs-to-logstash#readme" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}" \
      org.opencontainers.image.base.digest="${BASE_DIGEST}"

# The package, owned by root: the service may read it, not change it. /data belongs to the
# service's user, so a named volume mounted there starts out writable for it.
COPY --from=install /opt/auth0-logs-to-logstash/lib/node_modules/auth0-logs-to-logstash /app
COPY --from=install --chown=65532:65532 /data /data

# The distroless entrypoint is node: a smoke test that the package starts on this base.
RUN ["/nodejs/bin/node", "/app/dist/cli/bin.js", "--version"]

# HTTP_HOST, INTAKE_HOST: listen on every address of the container (the default, 127.0.0.1, cannot
# be reached through a published port); the Log Streams intake opens only when a tenant has
# LOG_STREAM_TOKEN. NODE_OPTIONS: the V8 limits the checkout's launcher passes, which
# keep memory flat whatever the backlog (BENCHMARKS.md); MALLOC_MMAP_THRESHOLD_: as the launcher
# sets it, so that glibc hands back what V8's compilers free (about 17 MB at idle). NODE_COMPILE_CACHE:
# in /tmp, so that a read-only root filesystem only costs the cache.
ENV HTTP_HOST=0.0.0.0 \
    HTTP_PORT=3000 \
    INTAKE_HOST=0.0.0.0 \
    INTAKE_PORT=3001 \
    DATABASE_URL=sqlite:/data/state.sqlite \
    NODE_OPTIONS="--max-semi-space-size=4 --max-old-space-size=256" \
    MALLOC_MMAP_THRESHOLD_=1048576 \
    NODE_COMPILE_CACHE=/tmp/auth0-logs-to-logstash-compile-cache

USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
# The dashboard, health and metrics; the Log Streams intake (publish it only behind TLS).
EXPOSE 3000 3001

# Liveness for plain Docker and Compose (Kubernetes ignores it and probes /healthz and /readyz).
# No shell here: node runs the package's own check of GET /healthz on HTTP_PORT, read from the
# environment (a port set in a tenants file instead would not be the one checked).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/nodejs/bin/node", "/app/dist/cli/healthcheck.js"]

# The binary is the entrypoint and `run` the default command, so any other command is one word:
#   docker run --rm --env-file auth0.env -v auth0-logs:/data auth0-logs-to-logstash check
# In a running container the commands read its environment (and /etc/auth0-logs-to-logstash/env
# when one is mounted there, readable by 65532):
#   docker exec auth0-logs /nodejs/bin/node /app/dist/cli/bin.js status
# SIGTERM (docker stop) lets the batches in flight finish, up to 10 s: give `docker stop` -t 15.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli/bin.js"]
CMD ["run"]
