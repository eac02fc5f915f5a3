#!/usr/bin/env bash
# A private, throw-away podman for the pod tests, on machines with no
# registry, no systemd and cgroup v1: everything podman stores (images,
# containers, volumes, networks, events) lives under one directory, so a test
# removes it all by removing that directory.
#
#   eval "$(scripts/pod/podman-lab.sh setup DIR)"   # writes DIR/*.conf, prints the exports
#   scripts/pod/podman-lab.sh teardown DIR          # removes pods, containers, images, DIR
#
# What podman 4.3 (Debian 12) needs on these machines, and why:
# - runc, not crun: crun 1.8 refuses the hybrid cgroup layout found here.
# - cgroupfs and file events: there is no systemd.
# - default_ulimits at or below the host's hard limits: podman's root
#   defaults (nofile/nproc 1048576) make container start fail with EPERM.
# - catatonit: the pod's infra (pause) image is built locally from it.
# - slirp4netns networking (chosen by the caller with --network): ports are
#   published on 127.0.0.1 by a user-space forwarder, so no bridge, iptables
#   rule or IP forwarding is left on the host.
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/../common.sh"

usage() { echo "usage: $0 setup|teardown DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
lab=$2

case "$cmd" in
setup)
  for tool in podman runc catatonit slirp4netns; do
    command -v "$tool" >/dev/null 2>&1 || { echo "podman-lab: '$tool' is missing (scripts/install-test-deps.sh installs it)" >&2; exit 1; }
  done
  mkdir -p "$lab/storage" "$lab/run" "$lab/cni" "$lab/tmp"
  lab=$(cd "$lab" && pwd)
  hard_nofile=$(ulimit -Hn)
  if [ "$hard_nofile" = unlimited ]; then hard_nofile=1048576; fi
  # podman itself runs with a hard NPROC of 32768 here; more fails with
  # "error setting rlimit type 6".
  hard_nproc=$(ulimit -Hu)
  if [ "$hard_nproc" = unlimited ] || [ "$hard_nproc" -gt 32768 ]; then hard_nproc=32768; fi
  cat > "$lab/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$lab/storage"
runroot = "$lab/run"
CONF
  cat > "$lab/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$hard_nofile:$hard_nofile", "nproc=$hard_nproc:$hard_nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$lab/run/events.log"
runtime = "runc"
tmp_dir = "$lab/tmp"
[network]
network_config_dir = "$lab/cni"
CONF
  export CONTAINERS_STORAGE_CONF="$lab/storage.conf" CONTAINERS_CONF="$lab/containers.conf"
  podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}} {{.Store.GraphDriverName}}' >&2
  echo "export CONTAINERS_STORAGE_CONF='$lab/storage.conf' CONTAINERS_CONF='$lab/containers.conf'"
  ;;
teardown)
  [ -d "$lab" ] || exit 0
  lab=$(cd "$lab" && pwd)
  if [ -f "$lab/containers.conf" ]; then
    export CONTAINERS_STORAGE_CONF="$lab/storage.conf" CONTAINERS_CONF="$lab/containers.conf"
    podman pod rm --all --force --time 5 >/dev/null 2>&1 || true
    podman rm --all --force --time 5 >/dev/null 2>&1 || true
    # Unmounts the overlay layers and forgets every image of this lab.
    podman system reset --force >/dev/null 2>&1 || true
  fi
  # Anything still mounted below the lab (a crashed run) must go before rm.
  { grep -o " $lab/[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$lab"
  ;;
*) usage ;;
esac
