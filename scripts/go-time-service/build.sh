#!/usr/bin/env bash
# Builds the chapter's Go service (main.go here) with Debian's Go, offline:
# no module proxy (it needs nothing but the standard library), a private
# build cache unless GOCACHE is set.
#
#   scripts/go-time-service/build.sh OUT            # as the chapter's Dockerfile builds it: plain `go build`
#                                                   # (cgo on, so net/http's resolver links glibc dynamically)
#   scripts/go-time-service/build.sh --static OUT   # CGO_ENABLED=0: a static binary for a FROM-scratch image
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/../common.sh"
cgo=""
if [ "${1:-}" = --static ]; then cgo=0; shift; fi
[ $# -eq 1 ] || { echo "usage: $0 [--static] OUT" >&2; exit 2; }
out=$(realpath -m "$1")
export PATH="$PATH:/usr/lib/go/bin"   # where Debian's golang-go puts go when it is not on PATH
if ! command -v go >/dev/null 2>&1; then
  echo "go-time-service: 'go' is missing (scripts/install-test-deps.sh installs Debian's golang-go)" >&2
  exit 1
fi
cd "$ROOT/scripts/go-time-service"
if [ -n "$cgo" ]; then export CGO_ENABLED=$cgo; else unset CGO_ENABLED; fi
GOCACHE=${GOCACHE:-${TMPDIR:-/tmp}/go-time-service-cache} GOPROXY=off GOFLAGS=-mod=mod GO111MODULE=on \
  go build -trimpath -o "$out" .
