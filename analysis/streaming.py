#!/usr/bin/python3
"""Both sides of a streaming comparison: what each viewers' picker gives the
viewers (startup delay, stalls, continuity) and what it costs the swarm
(leechers completed, time until all are done, the bulk downloaders' download
time), from sweeps that vary the viewers' picker.

    analysis/streaming.py SWEEP_DIR [SWEEP_DIR...] [--out DIR] [--no-figure]

Each SWEEP_DIR is a folder written by `swarmsim sweep` (runs.csv and runs/) over
a scenario with viewers (a group with `playback`) and bulk downloaders (leechers
without one), e.g. scenarios/streaming-good-seed.yaml varied over
groups.viewers.picker.policy. Prints one Markdown table per sweep: per
combination, each value's mean over the seeds with its 95% confidence interval
(Student's t). Writes the figure streaming_tradeoff (PNG and SVG) into DIR
(default: SWEEP_DIR/figures of the first): every combination on one plane,
viewers' continuity against the time until every leecher is done, one panel
per sweep: a small dot per run (hollow, at the run's end, when some leecher
never completed) and a large one at the medians over the seeds.
"""

import argparse
import json
import math
import os
import statistics
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts in a checkout

# pandas and swarmplot (matplotlib) are imported where they are used, once the
# input is known to be there.

# t(0.975, df) for df = 1..30; beyond, 1.96 is within 2 % of the true value.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def interval(values):
    """(mean, low, high) of the finite values, or None; the interval is None
    for fewer than two."""
    xs = [v for v in values if v is not None and math.isfinite(v)]
    if not xs:
        return None
    n = len(xs)
    mean = sum(xs) / n
    if n < 2:
        return mean, None, None
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = (T975[n - 2] if n - 1 <= len(T975) else 1.96) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def number(x, digits):
    return f"{x:.{digits}f}"


def ci_text(mean, low, high, n, runs, digits):
    """'mean [low, high]' (no interval without low), '(n of runs runs)' when some
    runs had no value, 'never (0 of runs runs)' when none had one."""
    if n == 0:
        return f"never (0 of {runs} runs)"
    text = number(mean, digits)
    if low is not None:
        text += f" [{number(low, digits)}, {number(high, digits)}]"
    if n != runs:
        text += f" ({n} of {runs} runs)"
    return text


def cell(values, digits, runs):
    """ci_text of the finite values among `runs`."""
    got = interval(values)
    n = sum(1 for v in values if v is not None and math.isfinite(v))
    return ci_text(*(got or (None, None, None)), n, runs, digits)


def value(row, key):
    v = row.get(key)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def run_facts(sweep_dir, row):
    """The numbers of one run: from runs.csv, and the bulk downloaders' mean
    download time from its peers.csv."""
    import pandas as pd

    peers = pd.read_csv(os.path.join(sweep_dir, row["run_dir"], "peers.csv"))
    if "startup_delay_s" not in peers.columns:
        sys.exit(f"streaming.py: {row['run_dir']}: no viewers in peers.csv "
                 "(the scenario needs a group with playback)")
    viewer = peers["pieces_on_time"].notna()
    bulk = peers[(peers["role"] == "leecher") & ~viewer]
    bulk_times = bulk["download_time_s"].dropna()
    done = value(row, "all_done_s")
    return {
        "completed": value(row, "completed_fraction"),
        "all_done": done,
        "end": done if done is not None else value(row, "simulated_time_s"),
        "bulk_download": float(bulk_times.mean()) if len(bulk) and len(bulk_times) == len(bulk)
        else None,
        "startup": value(row, "playback.startup_delay_s.median"),
        "stalls": value(row, "playback.stalls.mean"),
        "stall_time": value(row, "playback.stall_time_s.mean"),
        "continuity": value(row, "playback.continuity.mean"),
    }


COLUMNS = [  # key, heading, decimals
    ("completed", "leechers completed", 3),
    ("all_done", "all done (s)", 1),
    ("bulk_download", "bulk download (s)", 1),
    ("startup", "viewers' startup (s, median)", 1),
    ("stalls", "stalls per viewer", 2),
    ("stall_time", "stall time per viewer (s)", 1),
    ("continuity", "continuity", 3),
]


def load_sweep(sweep_dir):
    """(scenario name, [(label, [facts per run])]) in combination order."""
    import pandas as pd

    runs = pd.read_csv(os.path.join(sweep_dir, "runs.csv"), keep_default_na=True)
    cols = list(runs.columns)
    keys = cols[1:cols.index("seed")]
    if len(keys) != 1:
        sys.exit(f"streaming.py: {sweep_dir}: expected one varied key (the viewers' picker), "
                 f"got {len(keys)}")
    out = []
    for _, rows in runs.groupby("combination", sort=True):
        label = str(rows.iloc[0][keys[0]])
        out.append((label, [run_facts(sweep_dir, r) for r in rows.to_dict("records")]))
    first = runs.iloc[0]["run_dir"]
    with open(os.path.join(sweep_dir, first, "summary.json")) as f:
        name = json.load(f)["scenario"]
    return name, out


def table(combos):
    lines = ["| viewers' picker | " + " | ".join(h for _, h, _ in COLUMNS) + " |",
             "|---|" + "---|" * len(COLUMNS)]
    for label, facts in combos:
        cells = [cell([f[k] for f in facts], d, len(facts)) for k, _, d in COLUMNS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def figure(sweeps, out_dir):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import swarmplot as sp

    sp.use_house_style()
    fig, axes = sp.plt.subplots(1, len(sweeps), figsize=(5.2 * len(sweeps), 4.2), squeeze=False)
    for ax, (title, combos) in zip(axes[0], sweeps):
        for i, (label, facts) in enumerate(combos):
            color = f"C{i}"
            for f in facts:
                if f["continuity"] is None:
                    continue
                hollow = f["all_done"] is None
                ax.scatter(f["end"], f["continuity"], s=14, alpha=0.5,
                           facecolors="none" if hollow else color, edgecolors=color)
            # The big marker: medians, robust to runs that never completed
            # (drawn at their end time); error bars: the 95% CI of the mean
            # continuity, and of the time when every run completed.
            xs = sorted(f["end"] for f in facts)
            ys = sorted(f["continuity"] for f in facts if f["continuity"] is not None)
            if not ys:
                continue
            x, y = statistics.median(xs), statistics.median(ys)
            xi = interval([f["end"] for f in facts]) if all(f["all_done"] for f in facts) else None
            yi = interval(ys)
            ax.errorbar(x, y,
                        xerr=None if not xi or xi[1] is None else [[xi[0] - xi[1]], [xi[2] - xi[0]]],
                        yerr=None if yi[1] is None else [[max(0, y - yi[1])], [max(0, yi[2] - y)]],
                        fmt="o", ms=7, color=color, label=label, capsize=3)
        ax.set_title(title)
        ax.set_xlabel("time until every leecher is done (s)\n"
                      "(large: median of the seeds; hollow: never, drawn at the run's end)")
        ax.set_ylabel("viewers' continuity index")
        ax.legend(fontsize="small")
    fig.tight_layout()
    return sp.save_figure(fig, out_dir, "streaming_tradeoff")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sweeps", nargs="+", metavar="SWEEP_DIR")
    parser.add_argument("--out", help="folder for the figure (default: the first SWEEP_DIR)")
    parser.add_argument("--no-figure", action="store_true", help="print the tables only")
    args = parser.parse_args(argv)
    for d in args.sweeps:
        if not os.path.isfile(os.path.join(d, "runs.csv")):
            sys.exit(f"streaming.py: {d}: no runs.csv (not a folder written by swarmsim sweep)")

    sweeps = []
    for d in args.sweeps:
        name, combos = load_sweep(d)
        sweeps.append((name, combos))
        print(f"{name} ({len(combos[0][1])} seeds; mean [95% CI]):\n")
        print(table(combos))
        print()
    if not args.no_figure:
        for path in figure(sweeps, args.out or os.path.join(args.sweeps[0], "figures")):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
