#!/usr/bin/env bash
# rsyslog's imfile, the file shipper Debian runs, as a peer of log-sidecar
# in the benchmarks: it takes log-sidecar's flags, follows the same files
# (inotify mode, the same glob, state files for its read positions) and
# prints each line's text, unchanged, to stdout, so that its output can be
# compared with the file byte for byte, as ours is.
#
#   rsyslog-imfile.sh --path GLOB --checkpoint-file FILE [other log-sidecar flags, ignored]
#
# Its state (the config, imfile's state files) lives in FILE.rsyslog/, one
# directory per checkpoint file, so that a restart resumes as ours does and
# separate runs share nothing. RSYSLOG_PERSIST is imfile's
# PersistStateInterval: lines between two writes of the state file; 0 is
# rsyslog's default, "only when the file is closed" (at a clean exit).
# Default here 100, so that a crash repeats a bounded number of lines, as
# our checkpoint does.
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/../common.sh"
path="" ck=""
while [ $# -gt 0 ]; do
  case $1 in
    --path) path=$2; shift 2 ;;
    --checkpoint-file) ck=$2; shift 2 ;;
    --*=*) shift ;;
    --*) shift 2 ;;
    *) echo "rsyslog-imfile: unexpected argument '$1'" >&2; exit 2 ;;
  esac
done
if [ -z "$path" ] || [ -z "$ck" ]; then
  echo "usage: $0 --path GLOB --checkpoint-file FILE" >&2
  exit 2
fi
command -v rsyslogd >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
command -v rsyslogd >/dev/null 2>&1 || { echo "rsyslog-imfile: rsyslogd is missing (scripts/install-test-deps.sh --bench)" >&2; exit 1; }
work=$ck.rsyslog
mkdir -p "$work"
cat > "$work/rsyslog.conf" <<CONF
global(workDirectory="$work" maxMessageSize="64k")
module(load="imfile" mode="inotify")
input(type="imfile" File="$path" Tag="app" reopenOnTruncate="on" PersistStateInterval="${RSYSLOG_PERSIST:-100}" freshStartTail="off")
template(name="raw" type="string" string="%msg:::drop-last-lf%\n")
action(type="omfile" file="/dev/stdout" template="raw" flushOnTXEnd="on" asyncWriting="off")
CONF
exec rsyslogd -n -f "$work/rsyslog.conf" -i "$work/pid"
