# Dockerfile - plex-oidc on Debian 12 (bookworm-slim).
#
#   docker build -t plex-oidc .          (podman: podman build --format docker -t plex-oidc .)
#   then run it with etc/compose.yaml (docker compose up -d; docs/OPERATIONS.md)
#
# The build stage installs its packages with scripts/install-deps build, the
# same script CI and the Makefile use, then runs make (warnings are errors).
# The runtime stage holds the binary, the shared libraries it links
# (libmicrohttpd, jansson, libcurl, OpenSSL, hiredis), the CA certificates for
# plex.tv and curl for the health check; no compiler, no sources, no test
# tools. It runs as the unprivileged user plex-oidc (uid and gid 10001).
#
# The runtime stage cleans up after apt itself (the package lists, apt's
# .bin caches, downloaded packages, logs), so it adds about 17 MB to the
# debian:bookworm-slim it starts from, with or without Docker's apt
# clean-up hooks in that base.
#
# tests/package/image.test.mjs builds this file with podman on a Debian base
# made by mmdebstrap, and checks the size, the user, the health check, a
# whole sign-in, the volume and the stop.
#
# In the container plex-oidc listens on 0.0.0.0:8080 and keeps its state
# (keyring.json, plex-client-id) in the volume /var/lib/plex-oidc:
# the environment below overrides [server] listen and data_dir of the
# mounted configuration. docs/OPERATIONS.md has the details.

# The base of both stages (tests/package/image.test.mjs passes a local
# Debian image made by mmdebstrap).
ARG BASE=debian:bookworm-slim

FROM ${BASE} AS build
WORKDIR /src
# The install script alone first, so the package layer is cached across
# source changes.
COPY scripts/install-deps scripts/install-deps
RUN scripts/install-deps build
COPY . .
RUN make \
 && install -D -s -m 0755 build/plex-oidc /out/usr/local/bin/plex-oidc \
 && install -D -m 0644 etc/plex-oidc.example.ini /out/etc/plex-oidc/plex-oidc.example.ini

FROM ${BASE}
# apt cleans up after itself here, whatever hooks the base has.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libmicrohttpd12 libjansson4 libcurl4 libssl3 libhiredis0.14 ca-certificates curl \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old \
      /var/lib/dpkg/*-old /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log \
 && groupadd --system --gid 10001 plex-oidc \
 && useradd --system --uid 10001 --gid plex-oidc --home-dir /var/lib/plex-oidc --no-create-home \
      --shell /usr/sbin/nologin plex-oidc \
 && install -d -m 0700 -o plex-oidc -g plex-oidc /var/lib/plex-oidc \
 && install -d -m 0755 /etc/plex-oidc
COPY --from=build /out/ /

ENV PLEX_OIDC_SERVER_LISTEN=0.0.0.0:8080 \
    PLEX_OIDC_SERVER_DATA_DIR=/var/lib/plex-oidc
USER plex-oidc:plex-oidc
VOLUME /var/lib/plex-oidc
EXPOSE 8080
STOPSIGNAL SIGTERM
# /healthz answers 200 once the provider is ready. The check asks the port
# of PLEX_OIDC_SERVER_LISTEN on 127.0.0.1. If your issuer has a path
# (https://example.com/auth), the endpoints are under it: set
# HEALTHCHECK_PATH=/auth/healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS -o /dev/null --max-time 4 "http://127.0.0.1:${PLEX_OIDC_SERVER_LISTEN##*:}${HEALTHCHECK_PATH:-/healthz}" || exit 1
ENTRYPOINT ["plex-oidc"]
CMD ["--config", "/etc/plex-oidc/plex-oidc.ini"]
