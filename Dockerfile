# Dockerfile - plex-oidc on Debian 12 (bookworm-slim).
#
#   docker build -t plex-oidc .
#   docker run -d --name plex-oidc -p 127.0.0.1:8080:8080 \
#     -v /srv/plex-oidc/plex-oidc.ini:/etc/plex-oidc/plex-oidc.ini:ro \
#     -v plex-oidc-data:/var/lib/plex-oidc plex-oidc
#
# The build stage installs its packages with scripts/install-deps build, the
# same script CI and the Makefile use, then runs make (warnings are errors).
# The runtime stage holds the binary, the shared libraries it links
# (libmicrohttpd, jansson, libcurl, OpenSSL, hiredis), the CA certificates for
# plex.tv, and curl for the health check; it runs as the unprivileged user
# plex-oidc (uid 10001).
#
# In the container plex-oidc listens on 0.0.0.0:8080 and keeps its state
# (signing-key.pem, plex-client-id) in the volume /var/lib/plex-oidc:
# the environment below overrides [server] listen and data_dir of the
# mounted configuration. docs/OPERATIONS.md has the details.

FROM debian:bookworm-slim AS build
WORKDIR /src
# The install script alone first, so the package layer is cached across
# source changes.
COPY scripts/install-deps scripts/install-deps
RUN scripts/install-deps build && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make \
 && install -D -s -m 0755 build/plex-oidc /out/usr/local/bin/plex-oidc \
 && install -D -m 0644 etc/plex-oidc.example.ini /out/etc/plex-oidc/plex-oidc.example.ini

FROM debian:bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libmicrohttpd12 libjansson4 libcurl4 libssl3 libhiredis0.14 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/plex-oidc --no-create-home \
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
# /healthz answers 200 once the provider is ready. If your issuer has a path
# (https://example.com/auth), the endpoints are under it: set
# HEALTHCHECK_PATH=/auth/healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS -o /dev/null --max-time 4 "http://127.0.0.1:8080${HEALTHCHECK_PATH:-/healthz}" || exit 1
ENTRYPOINT ["plex-oidc"]
CMD ["--config", "/etc/plex-oidc/plex-oidc.ini"]
