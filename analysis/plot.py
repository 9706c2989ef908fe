#!/usr/bin/python3
"""Figures of one swarmsim run.

    analysis/plot.py RUN_DIR [--out DIR]

RUN_DIR is a folder written by `swarmsim run` (or one run of a sweep:
SWEEP_DIR/runs/<combination>/seed-<n>). Writes, as PNG and SVG, into DIR
(default RUN_DIR/figures):

    download_time_cdf       leechers completed against download time
    completed_over_time     completed, live leechers and seeds against time
    availability_over_time  copies of the rarest piece and mean copies per piece
    diversity_over_time     piece-diversity entropy and pieces held only by seeds
    upload_utilisation_over_time
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts in a checkout

# swarmplot (matplotlib, pandas) is imported in main() once the input is known to
# be there, so that a wrong folder fails in a fraction of a second.
sp = None

RUN_FILES = ("peers.csv", "timeseries.csv", "summary.json")


def run_title(summary, what):
    return f"{summary.get('scenario', 'run')} (seed {summary.get('seed', '?')}): {what}"


def download_time_cdf(peers, summary):
    fig, ax = sp.new_figure()
    leechers = peers[peers["role"] == "leecher"]
    end = summary.get("simulated_time_s")
    groups = sorted(leechers["group"].unique())
    if len(groups) > 1:
        for g in groups:
            x, y = sp.completion_curve(peers[peers["group"] == g], end)
            ax.step(x, y, where="post", label=f"{g} ({(peers['group'] == g).sum()} peers)")
    x, y = sp.completion_curve(peers, end)
    ax.step(x, y, where="post", color="black", linewidth=1.8,
            label=f"all leechers ({len(leechers)})")
    ax.set_xlabel("Download time (s)")
    ax.set_ylabel("Leechers completed (fraction)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(left=0)
    incomplete = leechers["download_time_s"].isna().sum()
    note = f"; {incomplete} never completed" if incomplete else ""
    ax.set_title(run_title(summary, f"download-time CDF{note}"))
    ax.legend(loc="best")
    return fig


def completed_over_time(ts, summary):
    fig, ax = sp.new_figure()
    ax.plot(ts["time_s"], ts["completed"], label="completed (cumulative)", linewidth=1.8)
    ax.plot(ts["time_s"], ts["leechers"], label="leechers present")
    ax.plot(ts["time_s"], ts["seeds"], label="seeds present")
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Peers")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_title(run_title(summary, "peers over time"))
    ax.legend(loc="best")
    return fig


def availability_over_time(ts, summary):
    fig, ax = sp.new_figure()
    ax.plot(ts["time_s"], ts["availability_mean"], label="mean copies per piece", linewidth=1.8)
    ax.step(ts["time_s"], ts["availability_min"], where="post", label="copies of the rarest piece")
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Copies among live peers")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_title(run_title(summary, "piece availability"))
    ax.legend(loc="best")
    return fig


def diversity_over_time(ts, summary):
    fig, ax = sp.new_figure()
    entropy_line = ax.plot(ts["time_s"], ts["entropy"], color=sp.PALETTE[0], linewidth=1.8,
                           label="piece-diversity entropy (left)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Entropy (1 = every piece equally common)")
    ax.set_xlim(left=0)
    right = ax.twinx()
    right.grid(False)
    right.spines["right"].set_visible(True)
    only_line = right.plot(ts["time_s"], ts["pieces_only_at_seeds"], color=sp.PALETTE[1],
                           label="pieces no leecher holds (right)")
    right.set_ylabel("Pieces")
    right.set_ylim(bottom=0)
    lines = entropy_line + only_line
    # Below the axes: with two y axes no spot inside is sure to be free.
    ax.legend(lines, [line.get_label() for line in lines], loc="upper center",
              bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    ax.set_title(run_title(summary, "piece diversity"))
    return fig


def upload_utilisation_over_time(ts, summary):
    fig, ax = sp.new_figure()
    ax.plot(ts["time_s"], ts["upload_utilisation"], label="per sample", linewidth=1.2)
    overall = summary.get("upload_utilisation")
    if overall is not None:
        ax.axhline(overall, color="black", linestyle="--", linewidth=1.2,
                   label=f"whole run, while leechers were present: {overall:.2f}")
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Upload used / upload capacity of live peers")
    ax.set_xlim(left=0)
    ax.set_ylim(-0.02, 1.05)
    ax.set_title(run_title(summary, "upload utilisation"))
    ax.legend(loc="lower left")
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description="Draw the figures of one swarmsim run.")
    parser.add_argument("run_dir", help="a folder written by `swarmsim run`")
    parser.add_argument("--out", help="output folder (default: RUN_DIR/figures)")
    args = parser.parse_args(argv)
    missing = [f for f in RUN_FILES if not os.path.isfile(os.path.join(args.run_dir, f))]
    if missing:
        print(f"plot.py: error: cannot read {args.run_dir}: no {', '.join(missing)} "
              "(expected a folder written by `swarmsim run`)", file=sys.stderr)
        return 2
    global sp
    import swarmplot as sp

    try:
        peers, ts, summary = sp.read_run(args.run_dir)
    except (OSError, ValueError) as e:
        print(f"plot.py: error: cannot read {args.run_dir}: {e}", file=sys.stderr)
        return 2
    out = args.out or os.path.join(args.run_dir, "figures")
    sp.use_house_style()
    figures = {
        "download_time_cdf": download_time_cdf(peers, summary),
        "completed_over_time": completed_over_time(ts, summary),
        "availability_over_time": availability_over_time(ts, summary),
        "diversity_over_time": diversity_over_time(ts, summary),
        "upload_utilisation_over_time": upload_utilisation_over_time(ts, summary),
    }
    for name, fig in figures.items():
        sp.save_figure(fig, out, name)
    print(f"{len(figures)} figures (PNG and SVG) in {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
