#!/usr/bin/env python3
"""log-sidecar delivering to an OTLP/HTTP receiver with gzip on, next to GNU
`tail -F` into a pipe (today's yardstick), in one run on this machine.

Each round runs both back to back on the same pre-written file (the order
alternates from round to round; ratios are taken within a round, as in
bench.py): log-sidecar pinned to TOOL_CPU with `--otlp-endpoint` and
`--sink-compression gzip` (its raw stdout drained and dropped), and GNU
`tail -n+1 -F` pinned the same way into bench.py's fast reader.

The receiver runs in this driver (pinned to LOAD_CPU): it reads each body,
checks that it is gzip (the first of each run is inflated whole) and
answers 200 with an empty ExportLogsServiceResponse. It decodes nothing,
so that it is not the bottleneck; the time it spends per request is
measured and printed beside the figures, since the sidecar waits for each
answer. That the records are right is the tests' job
(log-sidecar/tests/otlp_sink.rs, with the OpenTelemetry project's decoder).

Measures, per tool: lines/s from the start of the tool until all LINES
lines were delivered (the sidecar: its `log_sidecar_sink_lines_sent_total`
reaches LINES; tail: the reader has every byte), CPU seconds per million
lines (utime+stime), peak RSS (VmHWM). The sidecar runs as the pod does,
multi-line records on: the file ends with one line more, which it holds
for continuations (a latency of --multiline-timeout, not part of its
speed) and which the figure does not wait for.
"""

import gzip
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench import LINES, LOAD_CPU, READ_BUFFER, RUN_TIMEOUT, throughput_run
from tools import GNU_TAIL, SIDECAR_BIN, TOOL_CPU, cpu_seconds, line_text, peak_rss_mib, start, stop

ROUNDS = int(os.environ.get("THROUGHPUT_ROUNDS", "5"))
TRAILER = "the last line, held by the sidecar for more continuation lines\n"
SIDECAR_OTLP = "log-sidecar -> OTLP/HTTP, gzip"


class Receiver(ThreadingHTTPServer):
    """An OTLP/HTTP logs endpoint that takes everything."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.reset()

    def reset(self):
        self.requests = 0
        self.body_bytes = 0
        self.busy = 0.0
        self.checked = False
        self.problem = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        began = time.monotonic()
        server = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not server.checked:
            server.checked = True
            if self.headers.get("Content-Type") != "application/x-protobuf":
                server.problem = "Content-Type %s" % self.headers.get("Content-Type")
            elif self.headers.get("Content-Encoding") != "gzip":
                server.problem = "Content-Encoding %s" % self.headers.get("Content-Encoding")
            elif not gzip.decompress(body):
                server.problem = "an empty body"
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()
        server.requests += 1
        server.body_bytes += len(body)
        server.busy += time.monotonic() - began

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lines_sent(admin):
    with urllib.request.urlopen("http://%s/metrics" % admin, timeout=5) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith("log_sidecar_sink_lines_sent_total "):
                return float(line.split()[1])
    return 0.0


def drain_stdout(fd):
    view = memoryview(READ_BUFFER)
    while os.readv(fd, [view]) > 0:
        pass


def sidecar_run(path, workdir, run_id, receiver):
    admin = "127.0.0.1:%d" % free_port()
    cmd = [SIDECAR_BIN, "--path", path,
           "--checkpoint-file", os.path.join(workdir, "checkpoint-%s.json" % run_id),
           "--admin-listen", admin,
           "--otlp-endpoint", "http://127.0.0.1:%d/v1/logs" % receiver.server_address[1],
           "--sink-compression", "gzip"]
    receiver.reset()
    started = time.monotonic()
    proc = start(cmd)
    drainer = threading.Thread(target=drain_stdout, args=(proc.stdout.fileno(),), daemon=True)
    drainer.start()
    deadline = started + RUN_TIMEOUT
    sent = 0.0
    while True:
        try:
            sent = lines_sent(admin)
        except OSError:
            sent = 0.0  # not listening yet
        if sent >= LINES:
            break
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError("%s: %d of %d lines sent" % (SIDECAR_OTLP, sent, LINES))
        # Every scrape costs the sidecar a little CPU: 50 a second at most.
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    cpu = cpu_seconds(proc.pid)
    rss = peak_rss_mib(proc.pid)
    stop(proc)
    drainer.join()
    proc.stdout.close()
    if receiver.problem:
        raise RuntimeError("%s: the receiver got %s" % (SIDECAR_OTLP, receiver.problem))
    if sent > LINES:
        raise RuntimeError("%s: %d lines sent, the file has %d" % (SIDECAR_OTLP, sent, LINES))
    return {"lines/s": LINES / elapsed, "cpu s/M lines": cpu / (LINES / 1e6), "peak RSS MiB": rss,
            "requests": receiver.requests, "receiver busy s": receiver.busy,
            "MB sent": receiver.body_bytes / 1e6}


def main():
    os.sched_setaffinity(0, {LOAD_CPU})
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    tools = [SIDECAR_OTLP, GNU_TAIL]
    with tempfile.TemporaryDirectory(prefix="bench-sidecar-otlp-") as workdir:
        path = os.path.join(workdir, "throughput.log")
        with open(path, "w") as f:
            for start_line in range(0, LINES, 100_000):
                f.write("".join(line_text(i) for i in range(start_line, min(LINES, start_line + 100_000))))
            # The sidecar holds a quiet file's last record for more
            # continuation lines (--multiline-timeout, 1 s): a latency, not
            # a speed. One line more, which the sidecar holds and nobody
            # waits for, keeps that second out of the figure.
            f.write(TRAILER)
        print("file: %d lines, %.0f MB; tools on CPU %s, driver and receiver on CPU %d; %d rounds"
              % (LINES, os.path.getsize(path) / 1e6, TOOL_CPU, LOAD_CPU, ROUNDS), file=sys.stderr)
        results = {tool: {} for tool in tools}
        ratios = {"lines/s": [], "cpu s/M lines": []}
        for rnd in range(ROUNDS):
            runs = {}
            for tool in (tools if rnd % 2 == 0 else tools[::-1]):
                run_id = "otlp%d-%s" % (rnd, tool.split()[0])
                if tool == SIDECAR_OTLP:
                    runs[tool] = sidecar_run(path, workdir, run_id, receiver)
                else:
                    runs[tool] = throughput_run(path, workdir, run_id, tool, "fast")
            for tool in tools:
                for key, value in runs[tool].items():
                    results[tool].setdefault(key, []).append(value)
            for key in ratios:
                # tail's CPU over a short file can be under /proc's 10 ms
                # tick: 0, which has no ratio (the round then gives none).
                if runs[GNU_TAIL][key] > 0:
                    ratios[key].append(runs[SIDECAR_OTLP][key] / runs[GNU_TAIL][key])
            ours = runs[SIDECAR_OTLP]
            print("round %d  %s: %s lines/s, %.3f cpu s/M, %.1f MiB, %d requests, %.1f MB sent, "
                  "receiver busy %.2f s  |  %s: %s lines/s, %.3f cpu s/M"
                  % (rnd + 1, SIDECAR_OTLP, "{:,.0f}".format(ours["lines/s"]), ours["cpu s/M lines"],
                     ours["peak RSS MiB"], ours["requests"], ours["MB sent"], ours["receiver busy s"],
                     GNU_TAIL, "{:,.0f}".format(runs[GNU_TAIL]["lines/s"]),
                     runs[GNU_TAIL]["cpu s/M lines"]), file=sys.stderr)
    receiver.shutdown()
    median = {tool: {k: statistics.median(v) for k, v in results[tool].items()} for tool in tools}
    print()
    print("| medians of %d rounds, %d lines | %s | %s | ours vs tail |" % (ROUNDS, LINES, SIDECAR_OTLP, GNU_TAIL))
    print("|---|---:|---:|---:|")
    for key, fmt in [("lines/s", "{:,.0f}"), ("cpu s/M lines", "{:.3f}"), ("peak RSS MiB", "{:.1f}")]:
        if key in ratios:
            ratio = ("%.3g×" % statistics.median(ratios[key])) if ratios[key] else "n/a (tail's under the tick)"
        elif median[GNU_TAIL][key] > 0:
            ratio = "%.3g×" % (median[SIDECAR_OTLP][key] / median[GNU_TAIL][key])
        else:
            ratio = "n/a (tail's 0)"
        print("| %s | %s | %s | %s |" % (key, fmt.format(median[SIDECAR_OTLP][key]),
                                         fmt.format(median[GNU_TAIL][key]), ratio))
    ours = median[SIDECAR_OTLP]
    print()
    print("Ratios of lines/s and CPU: the median of ours/tail within each round. The sidecar also writes")
    print("every line to its stdout (drained). Per run: %.0f requests, %.1f MB of gzip sent, receiver busy %.2f s."
          % (ours["requests"], ours["MB sent"], ours["receiver busy s"]))
    print("- peak RSS < 10 MiB: %s" % ("met" if ours["peak RSS MiB"] < 10 else "MISSED"))


if __name__ == "__main__":
    main()
