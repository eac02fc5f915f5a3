#!/usr/bin/env bash
# Builds the images of what our pod is compared with, FROM scratch and
# offline, in the same shape as ours (one static binary, user 65532):
# - BUSYBOX_IMAGE: Debian's static busybox (package busybox-static) as
#   /bin/busybox, the Kubernetes docs' streaming sidecar
#   (`busybox tail -n+1 -F FILE`);
# - GO_IMAGE: the chapter's Go service (scripts/go-time-service, built
#   --static, since a scratch image has no libc) as /usr/local/bin/time-service.
#
#   scripts/pod/build-peer-images.sh BUSYBOX_IMAGE GO_IMAGE
#
# Env: CONTAINERS_CONF / CONTAINERS_STORAGE_CONF as set by podman-lab.sh.
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/../common.sh"
[ $# -eq 2 ] || { echo "usage: $0 BUSYBOX_IMAGE GO_IMAGE" >&2; exit 2; }
busybox_image=$1 go_image=$2
busybox=/bin/busybox
# ldd fails on a static binary ("not a dynamic executable").
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
  echo "build-peer-images: $busybox is missing or not static (scripts/install-test-deps.sh --bench installs busybox-static)" >&2
  exit 1
fi

ctx=$(mktemp -d -t time-service-peers.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/busybox" "$ctx/go"
cp "$busybox" "$ctx/busybox/busybox"
cat > "$ctx/busybox/Containerfile" <<'CONTAINERFILE'
FROM scratch
COPY busybox /bin/busybox
USER 65532:65532
ENTRYPOINT ["/bin/busybox"]
CONTAINERFILE
"$ROOT/scripts/go-time-service/build.sh" --static "$ctx/go/time-service"
cat > "$ctx/go/Containerfile" <<'CONTAINERFILE'
FROM scratch
COPY time-service /usr/local/bin/time-service
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/time-service"]
CONTAINERFILE
podman build --pull=never -q -t "$busybox_image" "$ctx/busybox" >&2
podman build --pull=never -q -t "$go_image" "$ctx/go" >&2
