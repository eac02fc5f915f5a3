# One image, both binaries: the pod runs it twice, as `time-server` (the
# default entrypoint) and as `sidecar` (command /usr/local/bin/log-sidecar).
#
#   docker build -t <you>/time-service:0.1.0 .
#
# Offline (no registry to pull rust:* from), replace the builder stage with
# binaries built on the host: scripts/pod/build-image.sh does
#   podman build --pull=never --build-context builder=<dir mirroring /app/target/...> .

# ---- builder: static binaries ------------------------------------------------
FROM docker.io/library/rust:1.85-slim-bookworm AS builder
# Static glibc for `scratch`; RELR-packed relocations (binutils >= 2.38,
# glibc >= 2.36) keep the binary position-independent (ASLR) while its
# start-up relocation table shrinks from ~180 KB to ~2 KB of touched pages.
ENV CARGO_TERM_COLOR=never \
    RUSTFLAGS="-C target-feature=+crt-static -C link-arg=-Wl,-z,pack-relative-relocs"
WORKDIR /app

# Dependency-caching layer: the manifests and lockfile alone, with stub
# sources for every target they declare, so that the (slow) dependency build
# is redone only when Cargo.toml or Cargo.lock change, not on every edit.
# Explicit [[bench]]/[[test]]/[[example]]/[[bin]] targets get a stub too
# (cargo refuses a manifest naming a target file that does not exist).
COPY Cargo.toml Cargo.lock ./
COPY time-core/Cargo.toml time-core/
COPY time-server/Cargo.toml time-server/
COPY log-sidecar/Cargo.toml log-sidecar/
COPY tests/Cargo.toml tests/
RUN set -eu; \
    for crate in time-core time-server log-sidecar tests; do \
      mkdir -p "$crate/src"; : > "$crate/src/lib.rs"; \
      awk -v dir="$crate" ' \
        /^\[\[(bench|test|example|bin)\]\]/ { kind = substr($0, 3, length($0) - 4); name = ""; next } \
        kind != "" && /^name *=/ { gsub(/.*= *"|".*/, ""); name = $0; \
          sub(/bench/, "benches", kind); sub(/test/, "tests", kind); sub(/example/, "examples", kind); \
          if (kind == "bin") print dir "/src/bin/" name ".rs"; else print dir "/" kind "/" name ".rs"; kind = "" } \
        kind != "" && /^path *=/ { gsub(/.*= *"|".*/, ""); print dir "/" $0; kind = "" }' \
        "$crate/Cargo.toml" | while read -r f; do mkdir -p "$(dirname "$f")"; echo 'fn main() {}' > "$f"; done; \
    done; \
    printf 'fn main() {}\n' > time-server/src/main.rs; \
    printf 'fn main() {}\n' > log-sidecar/src/main.rs; \
    cargo build --release --locked --target x86_64-unknown-linux-gnu -p time-server -p log-sidecar; \
    rm -rf time-core/src time-server/src log-sidecar/src tests/src

# The real sources; touch them so cargo rebuilds our crates over the stubs.
COPY time-core time-core
COPY time-server time-server
COPY log-sidecar log-sidecar
COPY tests tests
RUN find time-core time-server log-sidecar tests -name '*.rs' -exec touch {} + \
 && cargo build --release --locked --target x86_64-unknown-linux-gnu -p time-server -p log-sidecar

# ---- runtime: nothing but the two static binaries ----------------------------
# No shell, no libc, no CA bundle. The tz database is inside time-server (its
# tzdata feature), so TZ=Europe/Moscow works with nothing mounted; unset TZ
# means UTC, as the chapter's Go binary in a scratch image.
FROM scratch
COPY --from=builder /app/target/x86_64-unknown-linux-gnu/release/time-server /usr/local/bin/time-server
COPY --from=builder /app/target/x86_64-unknown-linux-gnu/release/log-sidecar /usr/local/bin/log-sidecar
# The "nonroot" user of distroless images; the manifests run as it too.
USER 65532:65532
# time-server HTTP (/time /nanotime /healthz /readyz /metrics); log-sidecar admin.
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/time-server"]
