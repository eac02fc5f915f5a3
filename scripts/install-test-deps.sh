#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian 12 machine that
# has only Rust: Debian packages and Python tools. Idempotent and quiet when
# everything is already there. With CI=true a tool that still cannot be found
# afterwards is a failure, never a skip.
set -euo pipefail

APT_PACKAGES=(
  golang-go tzdata     # time-core differential tests against the real Go (formatting, zoneinfo)
  prometheus           # promtool check metrics; the Prometheus server that scrapes the pod
  podman runc crun catatonit containernetworking-plugins iptables buildah
  fuse-overlayfs slirp4netns uidmap   # build the image and play the pod offline
  curl jq procps util-linux           # taskset, pgrep, ps for the process tests
  python3-yaml                        # e2e reads rendered manifests (YAML) as JSON
)
# Pinned: a new checkov release can add checks, a new kubernetes-validate new schemas;
# move these on purpose, with the manifests, not by surprise in CI.
PIP_PACKAGES=(kubernetes-validate==1.37.0 checkov==3.3.30)

missing_apt=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing_apt+=("$p")
done
if ((${#missing_apt[@]})); then
  echo "install-test-deps: apt-get install ${missing_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing_apt[@]}" >/dev/null
fi

missing_pip=()
for p in "${PIP_PACKAGES[@]}"; do
  have=$(python3 -m pip show "${p%%==*}" 2>/dev/null | sed -n 's/^Version: //p')
  [ "$have" = "${p##*==}" ] || missing_pip+=("$p")
done
if ((${#missing_pip[@]})); then
  echo "install-test-deps: pip install ${missing_pip[*]}" >&2
  python3 -m pip install -q --disable-pip-version-check "${missing_pip[@]}" >/dev/null
fi

# kubectl (for `kubectl kustomize`): the google-cloud one if present, else Debian's.
if ! command -v kubectl >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
fi

# Go from Debian lives in /usr/lib/go/bin on some images.
export PATH="$PATH:/usr/lib/go/bin"
status=0
for tool in go promtool prometheus podman kubectl kubernetes-validate checkov curl taskset; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-test-deps: required tool '$tool' is missing after install" >&2
    status=1
  fi
done
exit $status
