#!/usr/bin/env python3
"""Turns the raw results of scripts/bench.sh into the Markdown tables of
docs/PERFORMANCE.md: the picker against libtorrent's reference figures and over
the whole P x K grid, the engine, the codec, and the end-to-end swarms against
their targets.

Usage: bench/report.py RESULTS_DIR   (reads picker.json, engine.json, codec.json,
swarm.csv there, whichever exist; prints Markdown on stdout)
"""

import csv
import json
import os
import platform
import re
import statistics
import subprocess
import sys
from datetime import datetime, timezone

# libtorrent 2.0.8's picker at P = 2000, K = 50 on a 2-core machine (the picker
# issue), in ns.
LIBTORRENT = {
    "have": 35,
    "pick_probe": 50,
    "pick_sparse": 550,
    "join_500": 7500 + 17500,
    "immediate": 85,
    "queued": 300,
}

# End-to-end targets on the project's 2-core machine: wall seconds, peak MiB.
SWARM_TARGETS = {
    "bench-flash-300": (10, None),
    "bench-flash-1000": (40, 2048),
    "bench-scale-10k": (600, None),
}

GRID_P = (2000, 8000, 32000)
GRID_K = (10, 50, 200)
REF_P, REF_K = 2000, 50

TO_NS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}


def load_benchmarks(path):
    """{(base name, frozenset of (arg, value))): entry} from a Google Benchmark JSON file."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate":
            continue
        parts = b["name"].split("/")
        args = {}
        for p in parts[1:]:
            if ":" in p:
                k, v = p.split(":", 1)
                if k != "min_time":
                    args[k] = v
        out[(parts[0], frozenset(args.items()))] = b
    return out


def get(benchmarks, name, **args):
    if benchmarks is None:
        return None
    key = (name, frozenset((k, str(v)) for k, v in args.items()))
    b = benchmarks.get(key)
    if b is None or b.get("error_occurred"):
        return None
    return b


def fmt_ns(ns):
    if ns is None:
        return "-"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} us"
    return f"{ns:.1f} ns"


def fmt_ratio(ours, ref):
    if ours is None or ref is None or ours <= 0:
        return "-"
    return f"{ref / ours:.1f}x faster" if ours <= ref else f"{ours / ref:.1f}x slower"


def cpu_ns(b):
    """CPU time per iteration, for benchmarks timed by Google Benchmark itself."""
    return b["cpu_time"] * TO_NS[b.get("time_unit", "ns")]


# The picker cases: label, reference key, function of the benchmarks at (P, K)
# -> ns. Hand-timed short intervals give their median (median_ns), the others
# their CPU time: both are robust against other processes sharing the machine.
def picker_cases():
    def median(name, **extra):
        def f(bm, p, k):
            b = get(bm, name, pieces=p, peers=k, **extra)
            return b.get("median_ns") if b else None
        return f

    def cpu(name, **extra):
        def f(bm, p, k):
            b = get(bm, name, pieces=p, peers=k, **extra)
            return cpu_ns(b) if b else None
        return f

    def per_block(name):
        def f(bm, p, k):
            b = get(bm, name, pieces=p, peers=k)
            return b["cpu_per_block"] * 1e9 if b else None
        return f

    cases = [("HAVE", "have", cpu("BM_picker_have"))]
    for case, label, ref in ((0, "pick 16, probe (density 0.5)", "pick_probe"),
                             (3, "pick 16, probe without partial pieces", None),
                             (1, "pick 16, density 0.02", "pick_sparse"),
                             (2, "pick 16, only wanted piece most common", None)):
        cases.append((label, ref, median("BM_picker_pick", case=case)))
    for event in ("join", "leave"):
        for permille in (10, 100, 500, 900, 1000):
            ref = "join_500" if (event, permille) == ("join", 500) else None
            cases.append((f"bitfield {event} {permille / 1000:g} + next pick", ref,
                          median(f"BM_picker_bitfield_{event}", permille=permille)))
    cases.append(("download, immediate, per block", "immediate",
                  per_block("BM_picker_download_immediate")))
    cases.append(("download, queued, per block", "queued",
                  per_block("BM_picker_download_queued")))
    return cases


def mean_ns(bm, label, p, k):
    """The mean of a hand-timed case of the reference table (its Time column)."""
    found = None
    if label == "pick 16, probe (density 0.5)":
        found = get(bm, "BM_picker_pick", pieces=p, peers=k, case=0)
    elif label == "pick 16, density 0.02":
        found = get(bm, "BM_picker_pick", pieces=p, peers=k, case=1)
    elif label.startswith("bitfield join 0.5"):
        found = get(bm, "BM_picker_bitfield_join", pieces=p, peers=k, permille=500)
    return found["real_time"] * TO_NS[found.get("time_unit", "ns")] if found else None


def picker_tables(bm):
    lines = [f"### Piece picker against libtorrent 2.0.8 (P = {REF_P}, K = {REF_K})", "",
             "Hand-timed cases: median (mean in brackets; the mean also counts the "
             "intervals in which another process held the core). Others: CPU time.", "",
             "| case | swarmsim | libtorrent 2.0.8 | |", "|---|---:|---:|---|"]
    for label, ref_key, f in picker_cases():
        if ref_key is None:
            continue
        ours = f(bm, REF_P, REF_K)
        ref = LIBTORRENT[ref_key]
        mean = mean_ns(bm, label, REF_P, REF_K)
        extra = f" (mean {fmt_ns(mean)})" if mean is not None else ""
        if ref_key == "join_500":
            b = get(bm, "BM_picker_bitfield_join", pieces=REF_P, peers=REF_K, permille=500)
            if b:
                extra = (f" = {fmt_ns(b['bitfield_median_ns'])} + "
                         f"{fmt_ns(b['pick_median_ns'])} rebuild and pick{extra}")
            ref_text = "7.5 us + 17.5 us"
        else:
            ref_text = fmt_ns(ref)
        lines.append(f"| {label} | {fmt_ns(ours)}{extra} | {ref_text} | {fmt_ratio(ours, ref)} |")
    lines += ["", "### Piece picker over the grid (P pieces, K peers)", ""]
    header = "| case | " + " | ".join(f"P={p} K={k}" for p in GRID_P for k in GRID_K) + " |"
    lines += [header, "|---|" + "---:|" * (len(GRID_P) * len(GRID_K))]
    for label, _, f in picker_cases():
        cells = [fmt_ns(f(bm, p, k)) for p in GRID_P for k in GRID_K]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def engine_table(bm):
    lines = ["### Engine", "", "| benchmark | cost |", "|---|---:|"]
    for depth in (1000, 10000, 100000, 1000000):
        b = get(bm, "BM_event_queue_hold", depth=depth)
        lines.append(f"| event queue, pop + push at depth {depth:,} | "
                     f"{fmt_ns(cpu_ns(b) if b else None)} |")
    for depth in (1000, 10000, 100000, 1000000):
        b = get(bm, "BM_event_queue_fill_drain", depth=depth)
        lines.append(f"| event queue, fill to {depth:,} and drain, per event | "
                     f"{fmt_ns(b['per_event'] * 1e9 if b else None)} |")
    for sites in (1, 16):
        b = get(bm, "BM_link_model_block", sites=sites)
        lines.append(f"| link model, one block message, {sites} site(s) | "
                     f"{fmt_ns(cpu_ns(b) if b else None)} |")
    return lines


def codec_table(bm):
    lines = ["### Wire codec (16 KiB pieces with a HAVE and a REQUEST each)", "",
             "| benchmark | throughput | per message |", "|---|---:|---:|"]
    rows = [("encode", get(bm, "BM_codec_encode"))]
    rows += [(f"decode, fed {c} bytes at a time", get(bm, "BM_codec_decode", chunk=c))
             for c in (1460, 16384, 65536)]
    for label, b in rows:
        if b is None:
            lines.append(f"| {label} | - | - |")
            continue
        gbs = b["bytes_per_second"] / 2**30
        per_msg = 1e9 / b["items_per_second"]
        lines.append(f"| {label} | {gbs:.2f} GiB/s | {fmt_ns(per_msg)} |")
    return lines


def swarm_runs(path):
    """The rows of bench_swarm's swarm.csv, one list per scenario in file order
    (several with --repeat; files without the run column have one each)."""
    groups = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            groups.setdefault(r["scenario"], []).append(r)
    return list(groups.values())


def swarm_table(path):
    lines = ["### End-to-end swarms", "",
             "Targets are judged on CPU time (the simulator runs on one thread; on a "
             "shared machine wall time also counts the time other processes held the core). "
             "With `bench_swarm --repeat N`, wall and CPU are the medians of the N runs, "
             "the minimum in brackets; a scenario is ok only if every run is.",
             "",
             "| scenario | peers | completed | simulated | T_all_done/T_min | events | wall | CPU "
             "| target | events per CPU s | peak RSS | verdict |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    if not os.path.exists(path):
        return lines + ["| (not run) | | | | | | | | | | | |"]
    for runs in swarm_runs(path):
        r = runs[0]
        wall_target, rss_target = SWARM_TARGETS.get(r["scenario"], (None, None))
        walls = [float(x["wall_s"]) for x in runs]
        cpus = [float(x["cpu_s"]) for x in runs]
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        rss = max(float(x["peak_rss_mib"]) for x in runs)
        events = int(r["events"])
        statuses = sorted({x["status"] for x in runs}, key=lambda st: st != "ok")
        all_ok = statuses == ["ok"]
        verdicts = ["ok"] if all_ok else [st for st in statuses if st != "ok"]
        if wall_target is not None:
            verdicts.append("time ok" if cpu < wall_target and all_ok else "time MISSED")
        if rss_target is not None:
            verdicts.append("memory ok" if rss < rss_target else "memory MISSED")
        target = ", ".join(filter(None, [
            f"< {wall_target} s" if wall_target else "",
            f"< {rss_target / 1024:g} GiB" if rss_target else ""]))
        rate = f"{events / cpu / 1e6:.2f} M" if cpu > 0 else "-"
        t_min = float(r.get("t_min_s") or 0)
        ratio = f"{float(r['simulated_s']) / t_min:.3f}" if t_min > 0 else "-"
        many = len(runs) > 1
        wall_cell = f"{wall:.1f} s" + (f" ({min(walls):.1f})" if many else "")
        cpu_cell = f"{cpu:.1f} s" + (f" ({min(cpus):.1f})" if many else "")
        name = r["scenario"] + (f" x{len(runs)}" if many else "")
        lines.append(
            f"| {name} | {r['peers']} | {r['completed']}/{r['leechers']} "
            f"| {float(r['simulated_s']):.0f} s | {ratio} | {events / 1e6:.1f} M "
            f"| {wall_cell} | {cpu_cell} | {target or '-'} | {rate} "
            f"| {rss:.0f} MiB | {', '.join(verdicts)} |")
    return lines


def machine_lines(results_dir):
    model = platform.processor() or "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"Model name:\s*(.+)", out)
        model = m.group(1).strip() if m else model
    except OSError:
        pass
    mem_gib = "?"
    try:
        with open("/proc/meminfo") as f:
            kib = int(re.search(r"MemTotal:\s*(\d+)", f.read()).group(1))
        mem_gib = f"{kib / 2**20:.0f} GiB"
    except (OSError, AttributeError):
        pass
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                            text=True).stdout.strip() or "?"
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Taken {when} on {model}, {os.cpu_count()} cores, {mem_gib} RAM; "
             f"source {commit}."]
    start = os.path.join(results_dir, "loadavg-start.txt")
    if os.path.exists(start):
        with open(start) as f:
            before = f.read().strip()
        with open("/proc/loadavg") as f:
            after = " ".join(f.read().split()[:3])
        lines.append(f"Load average (1, 5, 15 min) at the start: {before}; at the end: {after}.")
    return lines


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    lines = machine_lines(d) + [""]
    picker = load_benchmarks(os.path.join(d, "picker.json"))
    if picker is not None:
        lines += picker_tables(picker) + [""]
    engine = load_benchmarks(os.path.join(d, "engine.json"))
    if engine is not None:
        lines += engine_table(engine) + [""]
    codec = load_benchmarks(os.path.join(d, "codec.json"))
    if codec is not None:
        lines += codec_table(codec) + [""]
    lines += swarm_table(os.path.join(d, "swarm.csv"))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
