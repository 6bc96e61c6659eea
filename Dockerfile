# Multi-stage build of mfa-gate: a Rust builder with cmake (pingora's
# zlib-ng), then a slim runtime running as a non-root user.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends cmake && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY pages pages
COPY config config
COPY tests tests
RUN cargo build --locked --release && strip target/release/mfa-gate

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/mfa-gate --shell /usr/sbin/nologin mfa-gate \
 && mkdir -p /var/lib/mfa-gate /etc/mfa-gate && chown mfa-gate /var/lib/mfa-gate
COPY --from=build /src/target/release/mfa-gate /usr/local/bin/mfa-gate
COPY config/mfa-gate.example.yaml /etc/mfa-gate/mfa-gate.example.yaml
USER mfa-gate
VOLUME ["/var/lib/mfa-gate"]
EXPOSE 8080
# Liveness through the gateway's own health route (bash's /dev/tcp: no curl in the image).
HEALTHCHECK --interval=30s --timeout=3s CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /_mfa/healthz HTTP/1.0\r\n\r\n" >&3 && head -1 <&3 | grep -q " 200 "'
ENTRYPOINT ["mfa-gate"]
CMD ["serve", "-c", "/etc/mfa-gate/mfa-gate.yaml"]
