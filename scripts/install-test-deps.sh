#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian 12 machine that
# has only Rust and Python: Debian packages, then the Python tools in the
# project's own virtual environment (.venv/, ignored by git), never in the
# system's site-packages (Debian's Python refuses that anyway: PEP 668).
# Idempotent and quiet when everything is already there; says what it
# installs; any failure stops it with the reason on stderr.
#
# A probe whose failure is the normal "not installed" answer (dpkg-query,
# pip show, command -v) is always tested in an `if`, never left to `set -e`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "install-test-deps: $*" >&2; }
trap 'say "failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

APT_PACKAGES=(
  golang-go tzdata     # time-core differential tests against the real Go (formatting, zoneinfo)
  prometheus           # promtool check metrics; the Prometheus server that scrapes the pod
  podman runc crun catatonit containernetworking-plugins iptables buildah
  fuse-overlayfs slirp4netns uidmap   # build the image and play the pod offline
  curl jq procps util-linux           # taskset, pgrep, ps for the process tests
  python3-venv                        # the project's venv for the Python tools below
  kubernetes-client                   # kubectl kustomize (unless a kubectl is already on PATH)
)
# Pinned: a new checkov release can add checks, a new kubernetes-validate new schemas;
# move these on purpose, with the manifests, not by surprise in CI.
PIP_PACKAGES=(kubernetes-validate==1.37.0 checkov==3.3.30)
VENV="${TIME_SERVICE_VENV:-$PWD/.venv}"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing_apt=()
for p in "${APT_PACKAGES[@]}"; do
  # A kubectl already on PATH (e.g. a newer one) is used as it is.
  if [ "$p" = kubernetes-client ] && command -v kubectl >/dev/null 2>&1; then continue; fi
  if ! installed "$p"; then missing_apt+=("$p"); fi
done
if ((${#missing_apt[@]})); then
  say "apt-get install ${missing_apt[*]}"
  sudo=()
  if [ "$(id -u)" != 0 ]; then sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing_apt[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "python3 -m venv $VENV"
  python3 -m venv "$VENV"
fi
missing_pip=()
for p in "${PIP_PACKAGES[@]}"; do
  have=""
  if out=$("$VENV/bin/python" -m pip show "${p%%==*}" 2>/dev/null); then
    have=$(sed -n 's/^Version: //p' <<<"$out")
  fi
  if [ "$have" != "${p##*==}" ]; then missing_pip+=("$p"); fi
done
if ((${#missing_pip[@]})); then
  say "pip install ${missing_pip[*]} (into $VENV)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${missing_pip[@]}"
fi

# Go from Debian lives in /usr/lib/go/bin on some images.
export PATH="$VENV/bin:$PATH:/usr/lib/go/bin"
status=0
for tool in go promtool prometheus podman kubectl kubernetes-validate checkov curl jq taskset; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    say "required tool '$tool' is missing after install"
    status=1
  fi
done
exit $status
