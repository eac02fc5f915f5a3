#!/usr/bin/env bash
# Builds release binaries exactly as the Dockerfile's builder stage does:
# static glibc, for the image's target, with the RUSTFLAGS read from the
# Dockerfile (their one definition, with the reason for each), so that the
# image, the pod tests and every benchmark run the same machine code.
# Prints the directory holding the binaries on stdout; cargo's output goes
# to stderr.
#
#   scripts/static-build.sh -p time-server -p log-sidecar
#
# Env: STATIC_TARGET_DIR (default $CARGO_TARGET_DIR/static, else
#      target/static): cargo's target dir for these builds, apart from the
#      normal one because the RUSTFLAGS differ (so switching between the two
#      never rebuilds everything, and a `cargo test` that runs this script
#      never waits on its own build lock).
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"
triple=x86_64-unknown-linux-gnu
[ $# -gt 0 ] || { echo "usage: $0 -p CRATE [-p CRATE...]" >&2; exit 2; }

# The builder stage's `ENV ... RUSTFLAGS="..."` line.
flags=$(sed -n 's/^[[:space:]]*RUSTFLAGS="\([^"]*\)".*$/\1/p' "$ROOT/Dockerfile")
if [ -z "$flags" ] || [ "$(wc -l <<<"$flags")" -ne 1 ]; then
  echo "static-build: expected one RUSTFLAGS=\"...\" line in $ROOT/Dockerfile, found: ${flags:-none}" >&2
  exit 1
fi
target_dir=${STATIC_TARGET_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/static}
(cd "$ROOT" && RUSTFLAGS="$flags" CARGO_TARGET_DIR="$target_dir" \
  cargo build --release --locked --target "$triple" "$@" >&2)
echo "$target_dir/$triple/release"
