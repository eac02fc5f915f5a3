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
    runs = defaultdict(lambda: {"rps": [], "p99": [], "cpu": [], "by_rep": {}})
    for line in (results / "runs.tsv").read_text().splitlines():
        server, path, conns, rep, rps, p99, cpu = line.split("\t")
        key = (server, path, int(conns))
        runs[key]["rps"].append(float(rps))
        runs[key]["p99"].append(float(p99))
        runs[key]["cpu"].append(float(cpu))
        runs[key]["by_rep"][rep] = float(rps)
    rss = defaultdict(list)
    for line in (results / "rss.txt").read_text().splitlines():
        server, kind, value = line.split()
        rss[(server, kind)].append(int(value))
    return runs, rss


def fmt_us(us):
    return f"{us / 1000:.2f}ms" if us >= 1000 else f"{us:.0f}us"


def pair_ratios(runs, path, c):
    """Rust/Go requests/s of the runs made back to back in each repetition."""
    g, r = runs.get(("go", path, c)), runs.get(("rust", path, c))
    if not g or not r:
        return []
    return [r["by_rep"][rep] / g["by_rep"][rep] for rep in sorted(g["by_rep"]) if rep in r["by_rep"]]


def table(runs, rss):
    paths = sorted({p for (_, p, _) in runs}, key=lambda p: (p != "/time", p))
    conns = sorted({c for (_, _, c) in runs})
    med = {k: (statistics.median(v["rps"]), statistics.median(v["p99"]), statistics.median(v["cpu"]))
           for k, v in runs.items()}
    reps = max(len(v["rps"]) for v in runs.values())
    out = [f"medians of {reps} run(s) per point; servers pinned to core 0, wrk -t1 on core 1;",
           "ratio = median of the Rust/Go ratios of back-to-back runs",
           "",
           f"{'path':<10} {'conns':>5} {'Go req/s':>10} {'Rust req/s':>11} {'ratio':>6}   {'Go p99':>9} {'Rust p99':>9}"
           f"   {'Go CPU/req':>10} {'Rust CPU/req':>12}",
           "-" * 100]
    for path in paths:
        for c in conns:
            g, r = med.get(("go", path, c)), med.get(("rust", path, c))
            if not g or not r:
                continue
            ratio = statistics.median(pair_ratios(runs, path, c))
            out.append(f"{path:<10} {c:>5} {g[0]:>10.0f} {r[0]:>11.0f} {ratio:>5.2f}x   {fmt_us(g[1]):>9} {fmt_us(r[1]):>9}"
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
            ratios = pair_ratios(runs, path, 64)
            ratio = statistics.median(ratios)
            each = ", ".join(f"{x:.2f}" for x in ratios)
            out.append(f"target {path} c=64: req/s ratio {ratio:.2f} (>= 2.00 {'met' if ratio >= 2 else 'MISSED'}; "
                       f"runs {each}), p99 {fmt_us(r[1])} vs {fmt_us(g[1])} ({'met' if r[1] <= g[1] else 'MISSED'})")
    for path in paths:
        g, r = med.get(("go", path, 64)), med.get(("rust", path, 64))
        if g and r:
            out.append(f"server CPU per request {path} c=64: Rust {r[2]:.1f}us, Go {g[2]:.1f}us, Go/Rust {g[2] / r[2]:.2f}")
    g, r = rss.get(("go", "idle_rss_kib")), rss.get(("rust", "idle_rss_kib"))
    if g and r:
        ok = statistics.median(r) <= statistics.median(g) / 2
        out.append(f"target idle RSS <= half of Go's: {'met' if ok else 'MISSED'}")
    return "\n".join(out), med, paths, conns


def panel(parts, x0, y0, w, h, title, conns, series, fmt_tick, fmt_point, show_axis):
    """One line chart: series is [(label, color, {conns: value})]."""
    vmax = max(v for _, _, vals in series for v in vals.values()) * 1.15
    step = 10 ** (len(str(int(vmax))) - 1) if vmax >= 1 else 0.1
    while vmax / step < 4:
        step /= 2
    xs = {c: x0 + 20 + j * (w - 40) / max(1, len(conns) - 1) for j, c in enumerate(conns)}
    y = lambda v: y0 + h - v / vmax * h  # noqa: E731
    parts.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#999"/>')
    parts.append(f'<text x="{x0 + w / 2}" y="{y0 - 8}" text-anchor="middle" font-size="13">{title}</text>')
    tick = 0.0
    while tick <= vmax:
        parts.append(f'<line x1="{x0}" x2="{x0 + w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#eee"/>')
        if show_axis:
            parts.append(f'<text x="{x0 - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{fmt_tick(tick)}</text>')
        tick += step
    for c, x in xs.items():
        parts.append(f'<text x="{x:.1f}" y="{y0 + h + 16}" text-anchor="middle">{c}</text>')
    parts.append(f'<text x="{x0 + w / 2}" y="{y0 + h + 32}" text-anchor="middle">connections (wrk -c)</text>')
    for _label, color, vals in series:
        pts = [(xs[c], y(vals[c]), vals[c]) for c in conns if c in vals]
        parts.append('<polyline fill="none" stroke="%s" stroke-width="2.5" points="%s"/>'
                     % (color, " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in pts)))
        for px, py, v in pts:
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{color}"/>')
            parts.append(f'<text x="{px:.1f}" y="{py - 7:.1f}" text-anchor="middle" font-size="10" '
                         f'fill="{color}">{fmt_point(v)}</text>')


def svg(med, paths, conns):
    w, h, left, gap = 420, 240, 70, 40
    width = left + len(paths) * (w + 30)
    height = 60 + 2 * (h + 70) + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="15">'
             f'time-server (Rust) vs the chapter\'s Go service: each pinned to one core, wrk on the other, '
             f'per-request logging on</text>']
    rows = [
        (lambda p: f"GET {p}: requests/s (higher is better)", 0,
         lambda t: f"{t / 1000:.0f}k", lambda v: f"{v / 1000:.1f}k"),
        (lambda p: f"GET {p}: server CPU per request, us (lower is better)", 2,
         lambda t: f"{t:.0f}", lambda v: f"{v:.1f}"),
    ]
    for r, (title, idx, fmt_tick, fmt_point) in enumerate(rows):
        y0 = 50 + r * (h + 70)
        for i, path in enumerate(paths):
            series = [(label, color, {c: med[(server, path, c)][idx] for c in conns if (server, path, c) in med})
                      for server, label, color in SERVERS]
            panel(parts, left + i * (w + 30), y0 + gap - 20, w, h, title(path), conns, series,
                  fmt_tick, fmt_point, True)
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
