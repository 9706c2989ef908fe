#!/usr/bin/python3
"""Figures comparing the combinations of a swarmsim sweep (e.g. rarest-first
against sequential).

    analysis/compare.py SWEEP_DIR [--out DIR] [--metrics M1,M2,...] [--summary-only]

SWEEP_DIR is a folder written by `swarmsim sweep` (or `swarmsim merge`): runs.csv,
compare.csv and runs/. Writes, as PNG and SVG, into DIR (default SWEEP_DIR/figures):

    metric_<name>           per metric: one bar per combination (the mean over
                            seeds) with its 95% confidence interval, and a dot per seed
    metrics_overview        the first six of those metrics side by side
    download_time_cdf       overlaid download-time CDFs, all seeds pooled (thin lines:
                            single seeds)
    completed_over_time     fraction of leechers completed, mean over seeds, with
                            the range over seeds shaded
    availability_over_time  copies of the rarest piece, mean over seeds

--summary-only skips the last three, which read every run's folder.
"""

import argparse
import csv
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts in a checkout

# numpy, pandas and swarmplot (matplotlib) are imported in main() once the input
# is known to be there, so that a wrong folder or metric fails at once.
np = pd = sp = None


def varied_keys(runs):
    """The columns between 'combination' and 'seed' of runs.csv."""
    cols = list(runs.columns)
    return cols[1 : cols.index("seed")]


def combination_labels(runs, keys):
    """{combination: label}; with one varied key just its value."""
    labels = {}
    for combo, rows in runs.groupby("combination", sort=True):
        first = rows.iloc[0]
        if not keys:
            labels[combo] = "base"
        elif len(keys) == 1:
            labels[combo] = str(first[keys[0]])
        else:
            labels[combo] = ", ".join(f"{sp.short_key(k, keys)}={first[k]}" for k in keys)
    return labels


def axis_title(keys):
    if len(keys) == 1:
        return sp.short_key(keys[0], keys)
    return "combination"


def file_name(metric):
    return "metric_" + re.sub(r"[^A-Za-z0-9_]+", "_", metric).strip("_")


def draw_metric(ax, metric, runs, compare, labels, keys):
    """Bars of the mean with 95% CI whiskers, and the seeds' values as dots."""
    rows = compare[compare["metric"] == metric].set_index("combination")
    combos = list(labels)
    x = np.arange(len(combos))
    low_col = [c for c in compare.columns if c.endswith("_low")][0]
    high_col = [c for c in compare.columns if c.endswith("_high")][0]
    level = low_col[2:-4]
    ymax = 0.0
    for i, combo in enumerate(combos):
        colour = sp.PALETTE[i % len(sp.PALETTE)]
        row = rows.loc[combo] if combo in rows.index else None
        n = int(row["n"]) if row is not None else 0
        total = int(row["runs"]) if row is not None else 0
        if n > 0:
            mean = row["mean"]
            ax.bar(i, mean, width=0.6, color=colour, alpha=0.35, edgecolor=colour)
            if not pd.isna(row[low_col]):
                ax.errorbar(i, mean, yerr=[[mean - row[low_col]], [row[high_col] - mean]],
                            color="black", capsize=6, linewidth=1.4)
                ymax = max(ymax, row[high_col])
            ymax = max(ymax, row["max"], mean)
        values = runs.loc[runs["combination"] == combo, metric].dropna().to_numpy()
        if len(values):
            # Deterministic spread so that equal values stay visible side by side.
            offsets = np.linspace(-0.15, 0.15, len(values)) if len(values) > 1 else [0.0]
            ax.plot(i + np.asarray(offsets), values, "o", color=colour, markersize=4,
                    markeredgecolor="white", markeredgewidth=0.5, zorder=3)
        if n < total or n == 0:
            note = f"{n} of {total} runs\nhave a value" if total else "no runs"
            ax.annotate(note, (i, 0), xytext=(0, 4), textcoords="offset points", ha="center",
                        va="bottom", fontsize=8, color="0.3")
    ax.set_xticks(x, [sp.wrap(labels[c]) for c in combos])
    if len(combos) > 6:
        ax.tick_params(axis="x", labelrotation=30)
    ax.set_xlim(-0.6, len(combos) - 0.4)
    if ymax > 0:
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]), top=ymax * 1.12)
    ax.set_ylabel(sp.metric_label(metric))
    ax.set_xlabel(axis_title(keys))
    ax.grid(axis="x", visible=False)
    return level


def metric_figure(metric, runs, compare, labels, keys, seeds):
    fig, ax = sp.new_figure(width=max(4.5, 1.3 * len(labels) + 2.5))
    level = draw_metric(ax, metric, runs, compare, labels, keys)
    name = sp.METRIC_NAMES.get(metric, metric)
    ax.set_title(f"{name}\nmean of {seeds} seeds, {level}% CI; dots: single seeds")
    return fig


def overview_figure(metrics, runs, compare, labels, keys, seeds):
    shown = metrics[:6]
    cols = 2 if len(shown) > 1 else 1
    rows = (len(shown) + cols - 1) // cols
    width = max(4.5, 1.1 * len(labels) + 2.5) * cols
    fig, axes = sp.plt.subplots(rows, cols, figsize=(width, 3.2 * rows), layout="constrained",
                                squeeze=False)
    for ax, metric in zip(axes.flat, shown):
        draw_metric(ax, metric, runs, compare, labels, keys)
        ax.set_title(sp.METRIC_NAMES.get(metric, metric))
        ax.set_xlabel("")
    for ax in list(axes.flat)[len(shown) :]:
        ax.set_visible(False)
    fig.suptitle(f"Mean over {seeds} seeds with 95% confidence intervals (dots: single seeds)")
    return fig


def load_runs(sweep_dir, runs):
    """{combination: [(peers, timeseries, summary), ...]} for the run folders found."""
    loaded, missing = {}, 0
    for _, row in runs.iterrows():
        run_dir = os.path.join(sweep_dir, row["run_dir"])
        try:
            loaded.setdefault(row["combination"], []).append(sp.read_run(run_dir))
        except (OSError, ValueError):
            missing += 1
    if missing:
        print(f"compare.py: warning: {missing} run folder(s) missing or unreadable; "
              "the per-run figures leave them out", file=sys.stderr)
    return loaded


def cdf_figure(loaded, labels, scenario):
    fig, ax = sp.new_figure()
    all_peers = [p for runs in loaded.values() for p, _, _ in runs]
    completions = pd.concat(all_peers)["download_time_s"].dropna()
    end = max(s["simulated_time_s"] for runs in loaded.values() for _, _, s in runs)
    # Show the completions, not hours of a stuck swarm: a curve that stays flat
    # runs on to the right edge.
    right = min(end, completions.max() * 1.25) if len(completions) else end
    for i, combo in enumerate(labels):
        if combo not in loaded:
            continue
        colour = sp.PALETTE[i % len(sp.PALETTE)]
        for peers, _, summary in loaded[combo]:
            x, y = sp.completion_curve(peers, end)
            ax.step(x, y, where="post", color=colour, alpha=0.25, linewidth=0.8)
        pooled = pd.concat([p for p, _, _ in loaded[combo]])
        x, y = sp.completion_curve(pooled, end)
        ax.step(x, y, where="post", color=colour, linewidth=2,
                label=f"{labels[combo]} ({y[-1]:.0%} completed)")
    ax.set_xlabel("Download time (s)")
    ax.set_ylabel("Leechers completed (fraction)")
    ax.set_xlim(0, right)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"{scenario}: download-time CDF")
    ax.legend(loc="best", title="thick: seeds pooled; thin: one seed", title_fontsize=8)
    return fig


def on_grid(ts, column, grid):
    """ts[column] at each grid time: the last sample at or before it (the first
    sample before the first); after the run's end the last value holds."""
    times = ts["time_s"].to_numpy()
    values = ts[column].to_numpy(dtype=float)
    idx = np.clip(np.searchsorted(times, grid, side="right") - 1, 0, len(times) - 1)
    return values[idx]


def last_change(times, values):
    """The time of the last sample whose value differs from the one before."""
    changed = np.nonzero(np.diff(values))[0]
    return times[changed[-1] + 1] if len(changed) else times[0]


def over_time_figure(loaded, labels, scenario, value, ylabel, title):
    """value(ts, summary) -> series; mean over seeds per combination, range shaded."""
    fig, ax = sp.new_figure()
    series = {c: [value(ts, s) for _, ts, s in runs] for c, runs in loaded.items()}
    end = max(s["simulated_time_s"] for runs in loaded.values() for _, _, s in runs)
    # Up to a little after the last change: a stuck swarm's flat hours say nothing
    # more (its line runs on to the right edge).
    settled = max(last_change(v["time_s"].to_numpy(), v["value"].to_numpy())
                  for vs in series.values() for v in vs)
    right = min(end, max(settled * 1.25, 1.0))
    grid = np.linspace(0, right, 600)
    top = 0.0
    for i, combo in enumerate(labels):
        if combo not in series:
            continue
        colour = sp.PALETTE[i % len(sp.PALETTE)]
        curves = np.array([on_grid(v, "value", grid) for v in series[combo]])
        top = max(top, curves.max())
        ax.fill_between(grid, curves.min(axis=0), curves.max(axis=0), color=colour, alpha=0.18,
                        linewidth=0)
        ax.plot(grid, curves.mean(axis=0), color=colour, linewidth=2,
                label=f"{labels[combo]} ({len(curves)} seeds)")
    ax.set_xlabel("Time (s)")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, right)
    # A little room below 0, so that a line along 0 stays visible.
    ax.set_ylim(-0.02 * max(top, 1.0), max(top, 1.0) * 1.05)
    ax.set_title(f"{scenario}: {title}")
    ax.legend(loc="best", title="line: mean; shaded: range over seeds", title_fontsize=8)
    return fig


def completed_fraction(ts, summary):
    leechers = max(summary.get("leechers") or 0, 1)
    return pd.DataFrame({"time_s": ts["time_s"], "value": ts["completed"] / leechers})


def rarest_piece_copies(ts, summary):
    return pd.DataFrame({"time_s": ts["time_s"], "value": ts["availability_min"]})


def main(argv=None):
    parser = argparse.ArgumentParser(description="Draw the comparison of a swarmsim sweep.")
    parser.add_argument("sweep_dir", help="a folder written by `swarmsim sweep`")
    parser.add_argument("--out", help="output folder (default: SWEEP_DIR/figures)")
    parser.add_argument("--metrics", help="comma-separated metrics of compare.csv "
                        "(default: a standard set of those present)")
    parser.add_argument("--summary-only", action="store_true",
                        help="only the per-metric figures (no run folders read)")
    args = parser.parse_args(argv)
    try:
        with open(os.path.join(args.sweep_dir, "compare.csv"), newline="", encoding="utf-8") as f:
            available = list(dict.fromkeys(row["metric"] for row in csv.DictReader(f)))
        if not os.path.isfile(os.path.join(args.sweep_dir, "runs.csv")):
            raise OSError("no runs.csv")
    except (OSError, KeyError) as e:
        print(f"compare.py: error: cannot read the sweep in {args.sweep_dir}: {e} "
              "(expected a folder written by `swarmsim sweep` or `swarmsim merge`)",
              file=sys.stderr)
        return 2
    if args.metrics:
        metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
        unknown = [m for m in metrics if m not in available]
        if unknown:
            print(f"compare.py: error: not in compare.csv: {', '.join(unknown)}",
                  file=sys.stderr)
            return 2
    global np, pd, sp
    import numpy as np
    import pandas as pd

    import swarmplot as sp

    if not args.metrics:
        metrics = [m for m in sp.DEFAULT_METRICS if m in available]
    runs = pd.read_csv(os.path.join(args.sweep_dir, "runs.csv"))
    compare = pd.read_csv(os.path.join(args.sweep_dir, "compare.csv"))
    keys = varied_keys(runs)
    labels = combination_labels(runs, keys)
    seeds = runs.groupby("combination").size().max()
    out = args.out or os.path.join(args.sweep_dir, "figures")
    sp.use_house_style()

    figures = {}
    for metric in metrics:
        figures[file_name(metric)] = metric_figure(metric, runs, compare, labels, keys, seeds)
    if metrics:
        figures["metrics_overview"] = overview_figure(metrics, runs, compare, labels, keys, seeds)
    if not args.summary_only:
        loaded = load_runs(args.sweep_dir, runs)
        if loaded:
            scenario = next(iter(loaded.values()))[0][2].get("scenario", "sweep")
            figures["download_time_cdf"] = cdf_figure(loaded, labels, scenario)
            figures["completed_over_time"] = over_time_figure(
                loaded, labels, scenario, completed_fraction, "Leechers completed (fraction)",
                "completed over time")
            figures["availability_over_time"] = over_time_figure(
                loaded, labels, scenario, rarest_piece_copies, "Copies of the rarest piece",
                "availability of the rarest piece")
    for name, fig in figures.items():
        sp.save_figure(fig, out, name)
    print(f"{len(figures)} figures (PNG and SVG) in {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
