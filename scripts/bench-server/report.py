#!/usr/bin/env python3
"""Turns bench-server.sh's raw results into the printed table and an SVG
chart (requests/s against concurrency, both servers, one panel per path).
Standard library only.

Usage: report.py RESULTS_DIR OUT.svg
RESULTS_DIR holds runs.tsv (server, path, conns, rep, req/s, p99 us,
server CPU us per request) and
rss.txt (server, idle_rss_kib|loaded_rss_kib, value).
"""
import statistics
import sys
from collections import defaultdict
from pathlib import Path

SERVERS = [("go", "Go (chapter)", "#00add8"), ("rust", "Rust time-server", "#ce422b")]


def load(results):
    runs = defaultdict(lambda: {"rps": [], "p99": [], "cpu": []})
    for line in (results / "runs.tsv").read_text().splitlines():
        server, path, conns, _rep, rps, p99, cpu = line.split("\t")
        key = (server, path, int(conns))
        runs[key]["rps"].append(float(rps))
        runs[key]["p99"].append(float(p99))
        runs[key]["cpu"].append(float(cpu))
    rss = defaultdict(list)
    for line in (results / "rss.txt").read_text().splitlines():
        server, kind, value = line.split()
        rss[(server, kind)].append(int(value))
    return runs, rss


def fmt_us(us):
    return f"{us / 1000:.2f}ms" if us >= 1000 else f"{us:.0f}us"


def table(runs, rss):
    paths = sorted({p for (_, p, _) in runs}, key=lambda p: (p != "/time", p))
    conns = sorted({c for (_, _, c) in runs})
    med = {k: (statistics.median(v["rps"]), statistics.median(v["p99"]), statistics.median(v["cpu"]))
           for k, v in runs.items()}
    reps = max(len(v["rps"]) for v in runs.values())
    out = [f"medians of {reps} run(s) per point; server pinned to core 0, wrk -t1 on core 1",
           "",
           f"{'path':<10} {'conns':>5} {'Go req/s':>10} {'Rust req/s':>11} {'ratio':>6}   {'Go p99':>9} {'Rust p99':>9}"
           f"   {'Go CPU/req':>10} {'Rust CPU/req':>12}",
           "-" * 100]
    for path in paths:
        for c in conns:
            g, r = med.get(("go", path, c)), med.get(("rust", path, c))
            if not g or not r:
                continue
            out.append(f"{path:<10} {c:>5} {g[0]:>10.0f} {r[0]:>11.0f} {r[0] / g[0]:>5.2f}x   {fmt_us(g[1]):>9} {fmt_us(r[1]):>9}"
                       f"   {g[2]:>8.1f}us {r[2]:>10.1f}us")
    out.append("")
    for kind, label in (("idle_rss_kib", "idle RSS"), ("loaded_rss_kib", "RSS after load")):
        g, r = rss.get(("go", kind)), rss.get(("rust", kind))
        if g and r:
            gm, rm = statistics.median(g), statistics.median(r)
            out.append(f"{label:<15} Go {gm / 1024:6.1f} MiB   Rust {rm / 1024:6.1f} MiB   Rust/Go {rm / gm:.2f}")
    # The targets.
    out.append("")
    for path in paths:
        g, r = med.get(("go", path, 64)), med.get(("rust", path, 64))
        if g and r:
            out.append(f"target {path} c=64: req/s ratio {r[0] / g[0]:.2f} (>= 2.00 {'met' if r[0] >= 2 * g[0] else 'MISSED'}), "
                       f"p99 {fmt_us(r[1])} vs {fmt_us(g[1])} ({'met' if r[1] <= g[1] else 'MISSED'})")
    for path in paths:
        g, r = med.get(("go", path, 64)), med.get(("rust", path, 64))
        if g and r:
            out.append(f"server CPU per request {path} c=64: Rust {r[2]:.1f}us, Go {g[2]:.1f}us, Go/Rust {g[2] / r[2]:.2f}")
    g, r = rss.get(("go", "idle_rss_kib")), rss.get(("rust", "idle_rss_kib"))
    if g and r:
        ok = statistics.median(r) <= statistics.median(g) / 2
        out.append(f"target idle RSS <= half of Go's: {'met' if ok else 'MISSED'}")
    return "\n".join(out), med, paths, conns


def svg(med, paths, conns):
    panel_w, panel_h, left, top, bottom = 420, 300, 70, 50, 50
    width = left + len(paths) * (panel_w + 30)
    height = top + panel_h + bottom + 30
    ymax = max(v[0] for v in med.values()) * 1.1
    step = 10 ** len(str(int(ymax))) / 10
    while ymax / step < 4:
        step /= 2
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="15">'
             f'Requests/s against concurrency (one core each, logging on)</text>']
    for i, path in enumerate(paths):
        x0 = left + i * (panel_w + 30)
        y0 = top
        xs = {c: x0 + 20 + j * (panel_w - 40) / max(1, len(conns) - 1) for j, c in enumerate(conns)}
        y = lambda v: y0 + panel_h - v / ymax * panel_h  # noqa: E731
        parts.append(f'<rect x="{x0}" y="{y0}" width="{panel_w}" height="{panel_h}" fill="none" stroke="#999"/>')
        parts.append(f'<text x="{x0 + panel_w / 2}" y="{y0 - 8}" text-anchor="middle" font-size="13">GET {path}</text>')
        tick = 0.0
        while tick <= ymax:
            parts.append(f'<line x1="{x0}" x2="{x0 + panel_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#eee"/>')
            if i == 0:
                parts.append(f'<text x="{x0 - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick / 1000:.0f}k</text>')
            tick += step
        for c, x in xs.items():
            parts.append(f'<text x="{x:.1f}" y="{y0 + panel_h + 18}" text-anchor="middle">{c}</text>')
        parts.append(f'<text x="{x0 + panel_w / 2}" y="{y0 + panel_h + 36}" text-anchor="middle">connections (wrk -c)</text>')
        for server, label, color in SERVERS:
            pts = [(xs[c], y(med[(server, path, c)][0])) for c in conns if (server, path, c) in med]
            parts.append('<polyline fill="none" stroke="%s" stroke-width="2.5" points="%s"/>'
                         % (color, " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)))
            for (px, py), c in zip(pts, conns):
                v = med[(server, path, c)][0]
                parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{color}"/>')
                parts.append(f'<text x="{px:.1f}" y="{py - 7:.1f}" text-anchor="middle" font-size="10" fill="{color}">{v / 1000:.1f}k</text>')
    ly = height - 12
    for k, (_, label, color) in enumerate(SERVERS):
        lx = left + k * 180
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="14" height="10" fill="{color}"/>')
        parts.append(f'<text x="{lx + 20}" y="{ly}">{label}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    results, out_svg = Path(sys.argv[1]), Path(sys.argv[2])
    runs, rss = load(results)
    text, med, paths, conns = table(runs, rss)
    print(text)
    (results / "summary.txt").write_text(text + "\n")
    out_svg.parent.mkdir(parents=True, exist_ok=True)
    out_svg.write_text(svg(med, paths, conns))
    print(f"\nchart: {out_svg}")


if __name__ == "__main__":
    main()
