# syntax=docker/dockerfile:1
# mfa-gate image: a Rust builder (with cmake for pingora's zlib-ng, and
# OpenSSL's headers for webauthn-rs), then a distroless runtime (glibc,
# OpenSSL, CA certificates, no shell, ~25 MB) that runs as
# the non-root user `nonroot` (uid 65532).
#
#   docker build -t mfa-gate .
#   docker run -d --name mfa-gate -p 8080:8080 \
#     -v mfa-gate-data:/var/lib/mfa-gate \
#     -v "$PWD/mfa-gate.yaml:/etc/mfa-gate/mfa-gate.yaml:ro" \
#     -e MFA_GATE_HMAC_KEY -e MFA_GATE_ENCRYPTION_KEY -e MFA_GATE_SUPPORT_TOKEN \
#     --stop-timeout 15 mfa-gate
#
# The config must set `store.path: /var/lib/mfa-gate` (the volume) and
# `listen: 0.0.0.0:8080`. Reload: `docker kill -s HUP mfa-gate`. A stop
# takes `server.grace_period` (default 10s) + 1s: give `--stop-timeout`
# (compose: `stop_grace_period`) more than that.

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY pages pages
COPY config config
# Cargo.toml names the benchmark target; cargo wants its file present.
COPY benches benches
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release --bin mfa-gate \
 && install -D -m 0755 target/release/mfa-gate /out/usr/local/bin/mfa-gate \
 && strip /out/usr/local/bin/mfa-gate \
 && install -d -m 0700 /out/var/lib/mfa-gate \
 && install -d -m 0755 /out/etc/mfa-gate \
 && cp config/mfa-gate.example.yaml config/sso.example.yaml /out/etc/mfa-gate/

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/usr/local/bin/mfa-gate /usr/local/bin/mfa-gate
COPY --from=build /out/etc/mfa-gate /etc/mfa-gate
COPY --from=build --chown=65532:65532 /out/var/lib/mfa-gate /var/lib/mfa-gate
USER 65532:65532
VOLUME ["/var/lib/mfa-gate"]
# Gateway (HTTP), gateway (HTTPS, when `tls` is configured), admin listener.
EXPOSE 8080 8443 9090
# The binary checks its own health route: no shell or curl in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/mfa-gate", "healthcheck", "http://127.0.0.1:8080/_mfa/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/mfa-gate"]
CMD ["serve", "-c", "/etc/mfa-gate/mfa-gate.yaml"]
