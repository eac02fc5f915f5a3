#!/usr/bin/env bash
# Proves README's promise that scripts/test.sh installs what it needs on a
# fresh Debian 12 machine "with only Rust": makes a fresh bookworm root
# (debootstrap --variant=minbase: not even Python, which the install brings
# in with python3-venv; installing needs no Rust), bind-mounts this
# repository into it read-only, runs scripts/install-test-deps.sh there
# as root, as a new machine would, and checks that every tool the tests
# drive then runs (the script's own final check, which runs each tool's
# version command). A second run must install nothing and say nothing.
# scripts/test.sh runs this under CI. Needs root (debootstrap, chroot, mount).
#
#   scripts/check-fresh-install.sh
#
# Only what this machine's network needs goes into the root: its DNS
# resolver, its CA bundle (and the local CAs it was made from) and the
# pip/SSL/proxy environment variables set here; nothing of the project's
# tools. The python3 it installs there refuses a system-wide pip install (PEP
# 668): the venv is the only way in.
#
# What cannot be proven in a chroot stays on the host: the tools are
# installed and run here (podman --version), but starting a container is
# the pod tests' job (tests/tests/pod.rs).
#
# Everything lives under $CARGO_TARGET_DIR/fresh-root (default
# target/fresh-root): the root, a tmpfs gone after the run pass or fail,
# and a cache kept between runs (debootstrap's --make-tarball and apt's
# .debs) so that a second run on one machine does not download them again;
# every package is still unpacked and installed from nothing. (pip's wheels
# come again each time: this network's PyPI answers are not cacheable.)
# All mounts, debootstrap's own included, are made in a private mount
# namespace and PID namespace (unshare), so they vanish with it however the
# run ends, and no process started inside outlives it.
#
# Env: FRESH_MIRROR (default http://deb.debian.org/debian), FRESH_SECURITY_MIRROR
#      (default http://deb.debian.org/debian-security).
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

say() { echo "check-fresh-install: $*" >&2; }
die() {
  say "$*"
  exit 1
}

SUITE=bookworm
VARIANT=minbase
MIRROR=${FRESH_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${FRESH_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
WORK=${CARGO_TARGET_DIR:-$ROOT/target}/fresh-root
FRESH=$WORK/root
CACHE=$WORK/cache
TARBALL=$CACHE/$SUITE-$VARIANT.tgz
# Where the repository appears inside the root.
SRC=/src

# What the network of this machine needs, by name: carried into the root
# when set here. Variables that name a file (CA bundles) carry that file too.
NETWORK_VARS=(http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY
  PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_DEFAULT_TIMEOUT)
CA_FILE_VARS=(PIP_CERT SSL_CERT_FILE REQUESTS_CA_BUNDLE CURL_CA_BUNDLE)

# ---- inside the private namespaces -------------------------------------------
inside() {
  local started=$SECONDS
  if [ -f "$TARBALL" ]; then
    say "unpacking $SUITE ($VARIANT) from the cached $TARBALL"
  else
    say "downloading $SUITE ($VARIANT) from $MIRROR into $TARBALL"
    local tmp=$CACHE/make-tarball
    rm -rf --one-file-system "$tmp"
    # One root is cached: another suite's or variant's tarball is stale.
    rm -f "$CACHE"/*.tgz "$CACHE"/*.tgz.part
    debootstrap --variant="$VARIANT" --make-tarball="$TARBALL.part" \
      "$SUITE" "$tmp" "$MIRROR" >"$CACHE/make-tarball.log" 2>&1 ||
      die "debootstrap --make-tarball failed; the end of its log ($CACHE/make-tarball.log):
$(tail -n 20 "$CACHE/make-tarball.log")"
    mv "$TARBALL.part" "$TARBALL"
    rm -rf --one-file-system "$tmp"
  fi
  # The root is a tmpfs of this namespace: it goes when the namespace goes,
  # however the run ends, and dpkg's many fsyncs cost nothing (~1.6 GB of
  # memory at its largest, with the Python tools).
  mkdir -p "$FRESH"
  mount -t tmpfs -o size=4g,mode=0755 fresh-root "$FRESH"
  debootstrap --variant="$VARIANT" --unpack-tarball="$TARBALL" \
    "$SUITE" "$FRESH" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    die "debootstrap into $FRESH failed; the end of its log ($WORK/debootstrap.log):
$(tail -n 20 "$WORK/debootstrap.log")"
  say "fresh root ready in $((SECONDS - started)) s"

  # A fresh Debian 12 machine's sources (debootstrap writes only the main suite).
  rm -f "$FRESH/etc/apt/sources.list"
  cat >"$FRESH/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  # Packages' maintainer scripts must not start services in a chroot.
  printf '#!/bin/sh\nexit 101\n' >"$FRESH/usr/sbin/policy-rc.d"
  chmod 0755 "$FRESH/usr/sbin/policy-rc.d"

  # The network: DNS, and the CA files the carried variables name, with the
  # local CAs they were made from (so that a ca-certificates package, if a
  # dependency pulls it in, rebuilds a bundle that still trusts them).
  cp -L /etc/resolv.conf "$FRESH/etc/resolv.conf"
  if [ -d /usr/local/share/ca-certificates ]; then
    mkdir -p "$FRESH/usr/local/share/ca-certificates"
    cp -a /usr/local/share/ca-certificates/. "$FRESH/usr/local/share/ca-certificates/"
  fi
  local env=(HOME=/root LANG=C.UTF-8 TERM=dumb
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
  local var
  for var in "${NETWORK_VARS[@]}" "${CA_FILE_VARS[@]}"; do
    if [ -n "${!var:-}" ]; then env+=("$var=${!var}"); fi
  done
  for var in "${CA_FILE_VARS[@]}"; do
    local file=${!var:-}
    if [ -n "$file" ] && [ ! -e "$FRESH$file" ]; then
      [ -f "$file" ] || die "$var=$file is not a file"
      mkdir -p "$(dirname "$FRESH$file")"
      cp -L "$file" "$FRESH$file"
    fi
  done

  # The kernel's file systems, apt's download cache, and the repository
  # read-only, but for its .venv (ignored by git), which gets a directory of
  # the root's own: the install writes nowhere else, and the host's venv is
  # neither seen nor touched.
  mount -t proc proc "$FRESH/proc"
  mount -t sysfs sysfs "$FRESH/sys"
  mount --rbind /dev "$FRESH/dev"
  mkdir -p "$CACHE/apt" "$FRESH$SRC" "$FRESH/var/lib/project-venv"
  mount --bind "$CACHE/apt" "$FRESH/var/cache/apt/archives"
  mount --bind "$ROOT" "$FRESH$SRC"
  mount -o remount,bind,ro "$FRESH$SRC"
  mount --bind "$FRESH/var/lib/project-venv" "$FRESH$SRC/.venv"

  say "running scripts/install-test-deps.sh in the fresh root"
  started=$SECONDS
  chroot "$FRESH" /usr/bin/env -i "${env[@]}" "$SRC/scripts/install-test-deps.sh" ||
    die "scripts/install-test-deps.sh failed on a fresh $SUITE root (its reason is above)"
  local took=$((SECONDS - started))
  say "install on a fresh root: $took s; running it again, which must do nothing"
  local again
  again=$(chroot "$FRESH" /usr/bin/env -i "${env[@]}" "$SRC/scripts/install-test-deps.sh" 2>&1) ||
    die "the second run failed: $again"
  [ -z "$again" ] || die "the second run was not silent (it should have found everything installed): $again"
  say "passed: the install took $took s on a fresh $SUITE root"
}

if [ "${1:-}" = --inside ]; then
  inside
  exit 0
fi

# ---- on the host ---------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mount)"
for tool in debootstrap unshare chroot findmnt flock; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing (scripts/install-test-deps.sh installs it)"
done
mkdir -p "$CACHE"
# The mount point of the root's own venv, in the read-only repository.
mkdir -p "$ROOT/.venv"
# One check at a time per target directory: they share the root's path.
exec 9>"$WORK/lock"
if ! flock -n 9; then
  say "waiting for another check-fresh-install.sh on $WORK"
  flock 9
fi

# Nothing may be mounted below the root when it is removed: rm would follow a
# bind mount into the repository. The mounts live in the namespace that
# ended, so this finds nothing unless something went wrong, and then it says
# so and unmounts before removing.
remove_root() {
  local mounts
  mounts=$(findmnt -rn -o TARGET | grep -F "$FRESH" || true)
  if [ -n "$mounts" ]; then
    say "still mounted below $FRESH (unmounting): $mounts"
    sort -r <<<"$mounts" | while read -r m; do umount -l "$m" || true; done
  fi
  rm -rf --one-file-system "$FRESH"
}
remove_root
trap remove_root EXIT

# In the background, so that a signal to this script is handled at once
# (bash runs traps only between foreground commands). unshare blocks
# SIGINT and SIGTERM while it waits, so a stop kills its child, the PID
# namespace's first process: the kernel then kills every process in the
# namespace, and the mounts go with the last of them. (Killed outright, with
# SIGKILL, this script leaves the inside to run to its end, mounts still
# private to it; the next run removes the empty mount point.)
started=$SECONDS
unshare --mount --propagation private --pid --fork --kill-child -- "$0" --inside &
inner=$!
stop() {
  local ns_init
  ns_init=$(cat "/proc/$inner/task/$inner/children" 2>/dev/null || true)
  ns_init=${ns_init% }
  if [ -n "$ns_init" ]; then
    say "interrupted: killing the fresh root's namespace (PID $ns_init)"
    kill -KILL "$ns_init" 2>/dev/null || true
  fi
  wait "$inner" 2>/dev/null || true
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
if ! wait "$inner"; then
  die "failed after $((SECONDS - started)) s"
fi
say "total $((SECONDS - started)) s"
