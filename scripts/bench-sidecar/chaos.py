#!/usr/bin/env python3
"""Loss and repeats of log-sidecar and its peers (tools.py: GNU `tail -F`,
busybox `tail -F`, rsyslog imfile configured three ways) under the faults
a log shipper meets in a pod, side by side, counted exactly: every line
written is numbered, and the tool's stdout is tallied number by number.

Scenarios (each tool in turn, with a fresh directory and checkpoint):
  rename        ROTATIONS rename rotations as time-server does them
                (app.log -> app.log.1 -> ... -> app.log.KEEP, the oldest
                deleted), one every PER_FILE lines written at RATE lines/s;
                the writer's last line before it reopens lands in the
                renamed file, as a server's last write does.
  copytruncate  ROTATIONS logrotate `copytruncate` rotations: app.log is
                copied to app.log.N, then truncated, one every PER_FILE
                lines. The writer pauses while it copies and truncates, so
                that no line is lost by the rotation itself: any loss is
                the tool's.
  SIGKILL       lines written at RATE while the tool is killed with SIGKILL
                KILLS times, KILL_AFTER seconds after each start, and
                restarted at once (a crash, an OOM kill, a restarted
                container), with the same checkpoint; what every run
                printed counts.
  SIGTERM       lines written at RATE; after TERM_AFTER seconds the tool gets
                SIGTERM while the writer goes on for TERM_WRITE_SECONDS more
                (in a pod both containers get SIGTERM at once, and the
                server writes the lines of the requests it drains); every
                line written counts.
Each scenario ends when the writer has stopped and the tool's output has
been quiet for QUIET_SECONDS (at most SETTLE_TIMEOUT); the tool is then
stopped with SIGTERM (after the SIGTERM scenario's own, it gets
TERM_TIMEOUT seconds to exit, then SIGKILL).

lost: numbers written that never appeared; repeated: appearances beyond the
first; max: most appearances of one line; garbled: output lines that are not
a written line (torn or spliced). REPEATS runs of everything, tools in an
order rotated each run; the table gives medians, every run goes to stderr.
"""

import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time

from tools import (BUSYBOX_TAIL, GNU_TAIL, LOG_SIDECAR, RSYSLOG, RSYSLOG_LIVE, RSYSLOG_LIVE_DEFAULTS,
                   commands, line_text, start, stop)

RATE = float(os.environ.get("RATE", "5000"))
PER_FILE = int(os.environ.get("PER_FILE", "5000"))
ROTATIONS = int(os.environ.get("ROTATIONS", "10"))
KEEP = int(os.environ.get("KEEP", "5"))
KILLS = int(os.environ.get("KILLS", "10"))
KILL_AFTER = float(os.environ.get("KILL_AFTER", "1"))
TERM_AFTER = float(os.environ.get("TERM_AFTER", "2"))
TERM_WRITE_SECONDS = float(os.environ.get("TERM_WRITE_SECONDS", "1"))
TERM_TIMEOUT = float(os.environ.get("TERM_TIMEOUT", "15"))
QUIET_SECONDS = float(os.environ.get("QUIET_SECONDS", "3"))
SETTLE_TIMEOUT = float(os.environ.get("SETTLE_TIMEOUT", "60"))
REPEATS = int(os.environ.get("REPEATS", "3"))
LOAD_CPU = int(os.environ.get("LOAD_CPU", "1"))

TOOLS = [LOG_SIDECAR, GNU_TAIL, BUSYBOX_TAIL, RSYSLOG, RSYSLOG_LIVE, RSYSLOG_LIVE_DEFAULTS]
# Lines are written in batches this many times a second.
BATCHES_PER_SECOND = 100


class Run:
    """One incarnation of a tool, its stdout drained by a thread into memory."""

    def __init__(self, cmd):
        self.proc = start(cmd)
        self.chunks = []
        self.size = 0
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return
            self.chunks.append(chunk)
            self.size += len(chunk)

    def finish(self, sig, timeout):
        """Sends `sig` (None: none), waits `timeout` for the exit, then
        SIGKILL; returns everything the tool printed."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except Exception:
            stop(self.proc)
        self.thread.join(timeout=10)
        self.proc.stdout.close()
        return b"".join(self.chunks)


class Writer:
    """Appends numbered lines to the live file at RATE, in batches."""

    def __init__(self, live):
        self.live = live
        self.next = 0
        self.fd = os.open(live, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.t0 = None  # set by the first batch
        self.batches = 0

    def write(self, count):
        """Writes `count` lines, paced at RATE."""
        per_batch = max(1, int(RATE / BATCHES_PER_SECOND))
        while count > 0:
            n = min(per_batch, count)
            self.batch(n)
            count -= n

    def batch(self, n):
        if self.t0 is None:
            self.t0 = time.monotonic()
        due = self.t0 + self.batches / BATCHES_PER_SECOND
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self.batches += 1
        os.write(self.fd, "".join(line_text(i) for i in range(self.next, self.next + n)).encode())
        self.next += n

    def write_for(self, seconds, stop_flag=None):
        end = time.monotonic() + seconds
        while time.monotonic() < end and not (stop_flag and stop_flag.is_set()):
            self.write(max(1, int(RATE / BATCHES_PER_SECOND)))

    def reopen(self):
        os.close(self.fd)
        self.fd = os.open(self.live, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def close(self):
        os.close(self.fd)


def settle(runs):
    """Waits until the last run's output has been quiet for QUIET_SECONDS."""
    run = runs[-1]
    deadline = time.monotonic() + SETTLE_TIMEOUT
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        if run.size != last:
            last, since = run.size, time.monotonic()
        elif time.monotonic() - since >= QUIET_SECONDS:
            return
        time.sleep(0.05)


def rotated(d, cmd, rotate):
    """ROTATIONS times: PER_FILE lines written, then `rotate(writer, live, r)`;
    PER_FILE more lines at the end."""
    live = os.path.join(d, "app.log")
    writer = Writer(live)
    runs = [Run(cmd)]
    time.sleep(0.5)  # the tool opens the file before the first rotation
    for r in range(1, ROTATIONS + 1):
        writer.write(PER_FILE)
        rotate(writer, live, r)
    writer.write(PER_FILE)
    writer.close()
    settle(runs)
    return writer.next, [runs[0].finish(signal.SIGTERM, TERM_TIMEOUT)]


def rename(writer, live, _r):
    oldest = "%s.%d" % (live, KEEP)
    if os.path.exists(oldest):
        os.unlink(oldest)
    for k in range(KEEP - 1, 0, -1):
        if os.path.exists("%s.%d" % (live, k)):
            os.rename("%s.%d" % (live, k), "%s.%d" % (live, k + 1))
    os.rename(live, live + ".1")
    writer.batch(1)  # the server's last line before it reopens: into the renamed file
    writer.reopen()


def copytruncate(_writer, live, r):
    shutil.copyfile(live, "%s.%d" % (live, r))
    os.truncate(live, 0)


def scenario_rename(d, cmd):
    return rotated(d, cmd, rename)


def scenario_copytruncate(d, cmd):
    return rotated(d, cmd, copytruncate)


def scenario_sigkill(d, cmd):
    live = os.path.join(d, "app.log")
    writer = Writer(live)
    done = threading.Event()
    thread = threading.Thread(target=writer.write_for, args=(KILLS * KILL_AFTER + 1, done))
    runs = [Run(cmd)]
    thread.start()
    outputs = []
    for _ in range(KILLS):
        time.sleep(KILL_AFTER)
        outputs.append(runs[-1].finish(signal.SIGKILL, 5))
        runs.append(Run(cmd))
    thread.join()
    writer.close()
    settle(runs)
    outputs.append(runs[-1].finish(signal.SIGTERM, TERM_TIMEOUT))
    return writer.next, outputs


def scenario_sigterm(d, cmd):
    live = os.path.join(d, "app.log")
    writer = Writer(live)
    runs = [Run(cmd)]
    writer.write_for(TERM_AFTER)
    runs[0].proc.send_signal(signal.SIGTERM)
    writer.write_for(TERM_WRITE_SECONDS)
    writer.close()
    return writer.next, [runs[0].finish(None, TERM_TIMEOUT)]


SCENARIOS = [
    ("rename", scenario_rename),
    ("copytruncate", scenario_copytruncate),
    ("SIGKILL", scenario_sigkill),
    ("SIGTERM", scenario_sigterm),
]


def tally(total, outputs):
    """lost, repeated, max appearances, garbled lines."""
    counts = [0] * total
    garbled = 0
    for out in outputs:
        for line in out.split(b"\n"):
            if not line:
                continue
            number = line[:10]
            if number.isdigit() and int(number) < total and line + b"\n" == line_text(int(number)).encode():
                counts[int(number)] += 1
            else:
                garbled += 1
    lost = sum(1 for c in counts if c == 0)
    repeated = sum(c - 1 for c in counts if c > 1)
    return {"lost": lost, "repeated": repeated, "max": max(counts, default=0), "garbled": garbled}


def cell(results):
    """`lost / repeated` medians, with the worst repeat factor and garbled lines if any."""
    lost = statistics.median(r["lost"] for r in results)
    repeated = statistics.median(r["repeated"] for r in results)
    text = "%s / %s" % ("{:,.0f}".format(lost), "{:,.0f}".format(repeated))
    notes = []
    worst = max(r["max"] for r in results)
    if worst > 2:
        notes.append("up to %d×" % worst)
    garbled = statistics.median(r["garbled"] for r in results)
    if garbled:
        notes.append("{:,.0f} garbled".format(garbled))
    if notes:
        text += " (%s)" % ", ".join(notes)
    return text


def main():
    os.sched_setaffinity(0, {LOAD_CPU})
    print("chaos: %d runs; %g lines/s; %d rotations of %d lines (keep %d); %d SIGKILLs %gs apart; "
          "SIGTERM after %gs with %gs more writing" % (REPEATS, RATE, ROTATIONS, PER_FILE, KEEP, KILLS,
                                                      KILL_AFTER, TERM_AFTER, TERM_WRITE_SECONDS),
          file=sys.stderr)
    results = {(tool, name): [] for tool in TOOLS for name, _ in SCENARIOS}
    totals = {name: [] for name, _ in SCENARIOS}
    for rep in range(REPEATS):
        shift = rep % len(TOOLS)
        for tool in TOOLS[shift:] + TOOLS[:shift]:
            for name, scenario in SCENARIOS:
                with tempfile.TemporaryDirectory(prefix="bench-chaos-") as d:
                    live = os.path.join(d, "app.log")
                    open(live, "w").close()
                    cmd = commands(live, live + "*", os.path.join(d, "checkpoint.json"))[tool]
                    total, outputs = scenario(d, cmd)
                t = tally(total, outputs)
                results[(tool, name)].append(t)
                totals[name].append(total)
                print("run %d %-32s %-12s %8d lines: lost %d, repeated %d, max %d, garbled %d"
                      % (rep + 1, tool, name, total, t["lost"], t["repeated"], t["max"], t["garbled"]),
                      file=sys.stderr)
    print()
    header = {
        "rename": "%d rename rotations" % ROTATIONS,
        "copytruncate": "%d copytruncates" % ROTATIONS,
        "SIGKILL": "%d SIGKILLs + restarts" % KILLS,
        "SIGTERM": "SIGTERM, %gs more writing" % TERM_WRITE_SECONDS,
    }
    print("| lost / repeated lines (median of %d runs) | %s |"
          % (REPEATS, " | ".join("%s (%s lines)" % (header[name], "{:,.0f}".format(statistics.median(totals[name])))
                                 for name, _ in SCENARIOS)))
    print("|---|" + "---:|" * len(SCENARIOS))
    for tool in TOOLS:
        print("| %s | %s |" % (tool, " | ".join(cell(results[(tool, name)]) for name, _ in SCENARIOS)))
    print()
    print("log-sidecar and rsyslog imfile follow app.log* (the live file and its rotations: log-sidecar's flags),")
    print("the tails and the other two rsyslog rows app.log; the tails restart with -n +1 (the Kubernetes docs'")
    print("sidecar), so a restart repeats the whole file. rsyslog writes its state every 100 lines, or only")
    print("when it closes the file (its default).")


if __name__ == "__main__":
    main()
