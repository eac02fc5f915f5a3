#!/usr/bin/env bash
# Builds the project's image from the repository's Dockerfile without pulling
# anything: the binaries are built here, statically linked, and stand in for
# the Dockerfile's `builder` stage (podman skips a stage replaced by
# --build-context, so the unpullable rust:* image is never needed).
#
#   scripts/pod/build-image.sh IMAGE            # e.g. localhost/time-service:test
#
# Env: CONTAINERS_CONF / CONTAINERS_STORAGE_CONF as set by podman-lab.sh;
#      STATIC_TARGET_DIR: where scripts/static-build.sh builds (see there);
#      BIN_DIR: take time-server and log-sidecar from there instead of building.
# Prints the image size in bytes on the last line of stdout.
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/../common.sh"
[ $# -eq 1 ] || { echo "usage: $0 IMAGE" >&2; exit 2; }
image=$1
root=$ROOT
triple=x86_64-unknown-linux-gnu

if [ -z "${BIN_DIR:-}" ]; then
  BIN_DIR=$("$root/scripts/static-build.sh" -p time-server -p log-sidecar)
fi

for bin in time-server log-sidecar; do
  [ -x "$BIN_DIR/$bin" ] || { echo "build-image: $BIN_DIR/$bin is missing" >&2; exit 1; }
  # A dynamically linked binary would start nowhere in a scratch image.
  # ldd's answer, not its status: it fails on a static non-PIE binary.
  linkage=$(ldd "$BIN_DIR/$bin" 2>&1 || true)
  case $linkage in
  *'statically linked'* | *'not a dynamic executable'*) ;;
  *) echo "build-image: $BIN_DIR/$bin is dynamically linked: $linkage" >&2; exit 1 ;;
  esac
done

# The replacement for the builder stage mirrors the paths the final stage copies from.
stage=$(mktemp -d -t time-service-builder.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/app/target/$triple/release"
cp "$BIN_DIR/time-server" "$BIN_DIR/log-sidecar" "$stage/app/target/$triple/release/"

podman build --pull=never --build-context builder="$stage" -t "$image" -f "$root/Dockerfile" "$root" >&2
podman image inspect "$image" --format '{{.Size}}'
