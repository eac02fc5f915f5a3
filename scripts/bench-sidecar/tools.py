"""The tools that follow a log file and print its lines to stdout, as the
benchmarks run them side by side (bench.py for speed, chaos.py for loss and
repeats): log-sidecar as the pod runs it, GNU `tail -F` and busybox
`tail -F` as the Kubernetes docs' streaming sidecar runs them
(`tail -n+1 -F FILE`: the live file by name, from its first line), and
rsyslog's imfile through rsyslog-imfile.sh, driven with log-sidecar's flags.

log-sidecar and rsyslog are given the glob of the live file and its
rotations, as the pod's manifest gives log-sidecar; the tails follow the
live file. rsyslog also runs as its users usually configure it, on the live
file alone (a glob that matches rotated files makes imfile read a renamed
file again), with state every 100 lines and with its defaults (state
written only when it closes the file).
Every tool runs pinned to TOOL_CPU, stdin closed, stdout to a pipe.
"""

import os
import signal
import subprocess

TOOL_CPU = os.environ.get("TOOL_CPU", "0")
SIDECAR_BIN = os.environ["SIDECAR_BIN"]
RSYSLOG_PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rsyslog-imfile.sh")
CLK_TCK = os.sysconf("SC_CLK_TCK")

LOG_SIDECAR = "log-sidecar"
GNU_TAIL = "GNU tail -F"
BUSYBOX_TAIL = "busybox tail -F"
RSYSLOG = "rsyslog imfile"
RSYSLOG_LIVE = "rsyslog imfile, live file only"
# rsyslog's own default: its state file is written only when it closes the file.
RSYSLOG_LIVE_DEFAULTS = "rsyslog imfile, live file only, state at close"


def line_text(i):
    """An access-log-like line of 110 bytes, numbered: its first field is `i`."""
    return "%010d 2026-11-26T18:00:00.000000Z 10.0.0.7 \"GET /time HTTP/1.1\" 200 35 0.000123 ua=kube-probe/1.29\n" % i


def commands(live, pattern, checkpoint):
    """Each tool's command line: `live` is the file the application writes,
    `pattern` the glob that also matches its rotations (may equal `live`),
    `checkpoint` where a tool that keeps positions keeps them (one per run;
    the same one across restarts)."""
    sidecar = [SIDECAR_BIN, "--path", pattern, "--checkpoint-file", checkpoint,
               "--format", "raw", "--admin-listen", "127.0.0.1:0"]
    rsyslog_live = [RSYSLOG_PEER, "--path", live, "--checkpoint-file", checkpoint]
    return {
        LOG_SIDECAR: sidecar,
        GNU_TAIL: ["tail", "-n", "+1", "-F", live],
        BUSYBOX_TAIL: ["busybox", "tail", "-n", "+1", "-F", live],
        RSYSLOG: [RSYSLOG_PEER, "--path", pattern, "--checkpoint-file", checkpoint],
        RSYSLOG_LIVE: rsyslog_live,
        RSYSLOG_LIVE_DEFAULTS: ["env", "RSYSLOG_PERSIST=0"] + rsyslog_live,
    }


def start(cmd):
    """Starts a tool pinned to TOOL_CPU (taskset and env exec it: the PID is the tool's)."""
    return subprocess.Popen(
        ["taskset", "-c", TOOL_CPU] + cmd,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        # Fields after the ")" of the command name: utime is field 14, stime 15.
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM for %d" % pid)


def stop(proc):
    """Kills the tool; its reader (if any) then sees end-of-file."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
