#!/usr/bin/env bash
# The pod without Kubernetes: time-server and log-sidecar side by side, sharing
# a log directory as the pod's emptyDir volume. Ctrl-C sends SIGTERM to both,
# as the kubelet does, and waits for their graceful exit. The sidecar lingers
# 7s, as in the manifests, to outlast the server's 5s shutdown delay.
#   LISTEN (default 127.0.0.1:8080)  ADMIN (default 127.0.0.1:9090)  LOG_DIR (default a temp dir)
#   BIN_DIR (default: build with cargo and use target/release)
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$ROOT"
LISTEN=${LISTEN:-127.0.0.1:8080}
ADMIN=${ADMIN:-127.0.0.1:9090}
LOG_DIR=${LOG_DIR:-$(mktemp -d -t time-service-logs.XXXXXX)}
mkdir -p "$LOG_DIR"
if [ -n "${BIN_DIR:-}" ]; then
  bin=$BIN_DIR
else
  cargo build --release --bins -q
  bin=${CARGO_TARGET_DIR:-target}/release
fi

# Each container's stdout is prefixed, as `kubectl logs` would keep them apart.
# The prefixers ignore Ctrl-C: they end when their container's stdout closes,
# so the sidecar's last lines still have a reader (no EPIPE at shutdown).
"$bin/time-server" --listen "$LISTEN" --log-file "$LOG_DIR/time-service.log" \
  > >(trap '' INT TERM; exec sed -u 's/^/[time-server] /') &
server=$!
"$bin/log-sidecar" --path "$LOG_DIR/time-service.log*" --checkpoint-file "$LOG_DIR/.sidecar-checkpoint.json" \
  --admin-listen "$ADMIN" --shutdown-linger 7s > >(trap '' INT TERM; exec sed -u 's/^/[sidecar]     /') &
sidecar=$!

stop() { kill -TERM "$server" "$sidecar" 2>/dev/null || true; }
trap stop INT TERM
echo "time-server on http://$LISTEN (try: curl $LISTEN/time), sidecar admin on http://$ADMIN/metrics," >&2
echo "log volume $LOG_DIR; Ctrl-C stops both" >&2
wait "$server" || true
wait "$sidecar" || true
