"""Shared helpers for swarmsim's figures: reading result folders, labels with
units, a readable house style, and saving each figure as PNG and SVG.

The result files are described in docs/OUTPUT.md. Everything here reads them with
pandas and draws with matplotlib's non-interactive Agg backend, so the scripts run
on a machine without a display.
"""

import json
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

FORMATS = ("png", "svg")

# Readable names for summary metrics; a metric not listed gets a name built from
# its key (see metric_label).
METRIC_NAMES = {
    "completed_fraction": "Leechers completed",
    "download_time_s.mean": "Mean download time",
    "download_time_s.median": "Median download time",
    "download_time_s.p90": "90th percentile download time",
    "download_time_s.max": "Slowest download time",
    "time_to_first_piece_s.mean": "Mean time to first piece",
    "share_ratio.mean": "Mean share ratio",
    "all_done_s": "Time until all done",
    "distribution_time_s": "Distribution time",
    "distribution_time_over_t_min": "Distribution time / T_min",
    "upload_utilisation": "Upload utilisation",
    "mean_upload_utilisation": "Mean upload utilisation",
    "availability_min": "Lowest piece availability",
    "availability_mean": "Mean piece availability",
    "entropy_min": "Lowest piece-diversity entropy",
    "entropy_mean": "Mean piece-diversity entropy",
    "pieces_only_at_seeds_max": "Most pieces held only by seeds",
    "pieces_only_at_seeds_mean": "Mean pieces held only by seeds",
    "bytes_wasted": "Duplicate bytes received",
}

# Metrics compare.py draws by default, in this order, when the sweep has them.
DEFAULT_METRICS = [
    "completed_fraction",
    "download_time_s.mean",
    "download_time_s.p90",
    "distribution_time_s",
    "distribution_time_over_t_min",
    "time_to_first_piece_s.mean",
    "upload_utilisation",
    "availability_min",
    "entropy_mean",
    "pieces_only_at_seeds_mean",
]

# Distinguishable in colour and in grey (Okabe & Ito).
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


def use_house_style():
    """Sizes and colours that read well in a paper and on a screen."""
    plt.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "font.size": 10,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
            "svg.hashsalt": "swarmsim",  # stable element ids: same data, same SVG
            "svg.fonttype": "none",  # text stays text in the SVG
        }
    )


def new_figure(width=6.4, height=4.0):
    """A figure with constrained layout, so titles, labels and legends never overlap."""
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return fig, ax


def _drawn_texts(fig):
    """The texts a reader sees: titles, axis labels, the tick labels inside the
    axis limits, legends, annotations."""
    texts = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            eps = (hi - lo) * 1e-9
            for tick, loc in zip(axis.get_major_ticks(), axis.get_majorticklocs()):
                if lo - eps <= loc <= hi + eps:
                    texts += [tick.label1, tick.label2]
        legend = ax.get_legend()
        if legend is not None:
            texts += list(legend.get_texts()) + [legend.get_title()]
        texts += list(ax.texts)
    if fig._suptitle is not None:
        texts.append(fig._suptitle)
    for legend in fig.legends:
        texts += list(legend.get_texts()) + [legend.get_title()]
    texts += list(fig.texts)
    unique = list({id(t): t for t in texts}.values())  # the suptitle is in fig.texts too
    return [t for t in unique if t.get_visible() and t.get_text().strip()]


def layout_problems(fig):
    """Texts that stick out of the figure or overlap each other, as messages."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    canvas = fig.bbox
    boxes = [(t, t.get_window_extent(renderer)) for t in _drawn_texts(fig)]
    problems = []
    slack = 1.0  # pixels
    for t, box in boxes:
        if (box.x0 < canvas.x0 - slack or box.y0 < canvas.y0 - slack
                or box.x1 > canvas.x1 + slack or box.y1 > canvas.y1 + slack):
            problems.append(f"text {t.get_text()!r} sticks out of the figure")
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            overlap_x = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            overlap_y = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if overlap_x > slack and overlap_y > slack:
                problems.append(f"texts {a.get_text()!r} and {b.get_text()!r} overlap")
    return problems


def save_figure(fig, out_dir, name):
    """Writes out_dir/name.png and out_dir/name.svg; returns their paths. Texts that
    stick out or overlap are reported on stderr."""
    for problem in layout_problems(fig):
        print(f"warning: {name}: {problem}", file=sys.stderr)
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for fmt in FORMATS:
        path = os.path.join(out_dir, f"{name}.{fmt}")
        tmp = f"{path}.tmp-{os.getpid()}"
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(tmp, format=fmt, metadata=metadata)
        os.replace(tmp, path)
        paths.append(path)
    plt.close(fig)
    return paths


def unit_of(key):
    """The unit a metric key's suffix names ("download_time_s.mean" -> "s")."""
    base = key.split(".")[0]
    if base.endswith("_bytes_per_s"):
        return "bytes/s"
    if base.endswith("_s"):
        return "s"
    if base.startswith("bytes_"):
        return "bytes"
    if base in ("completed_fraction", "upload_utilisation", "mean_upload_utilisation") or (
        base.startswith("entropy")
    ):
        return "fraction"
    if base.startswith("availability"):
        return "copies"
    if base.startswith("pieces"):
        return "pieces"
    return ""


def metric_label(key):
    """'Mean download time (s)' for 'download_time_s.mean'."""
    name = METRIC_NAMES.get(key)
    if name is None:
        name = re.sub(r"_s(\.|$)", r"\1", key).replace(".", " ").replace("_", " ")
        name = name[:1].upper() + name[1:]
    unit = unit_of(key)
    return f"{name} ({unit})" if unit and unit != "fraction" else name


def read_run(run_dir):
    """peers.csv, timeseries.csv and summary.json of one run folder."""
    peers = pd.read_csv(os.path.join(run_dir, "peers.csv"))
    timeseries = pd.read_csv(os.path.join(run_dir, "timeseries.csv"))
    with open(os.path.join(run_dir, "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    return peers, timeseries, summary


def completion_curve(peers, end=None):
    """(times, fraction) of the leechers' download-time CDF over *all* leechers:
    a leecher that never completed never counts, so the curve ends below 1. The
    curve starts at (0, 0) and, if `end` is later than the last completion,
    continues flat until `end` (e.g. the run's simulated time)."""
    leechers = peers[peers["role"] == "leecher"]
    total = len(leechers)
    times = np.sort(leechers["download_time_s"].dropna().to_numpy())
    fraction = np.arange(1, len(times) + 1) / total if total else np.array([])
    x = np.concatenate(([0.0], times))
    y = np.concatenate(([0.0], fraction))
    if end is not None and end > x[-1]:
        x = np.append(x, end)
        y = np.append(y, y[-1])
    return x, y


def short_key(key, keys):
    """The shortest dotted tail of key that no other key ends with."""
    parts = key.split(".")
    for n in range(1, len(parts) + 1):
        tail = ".".join(parts[-n:])
        if not any(k != key and (k == tail or k.endswith("." + tail)) for k in keys):
            return tail
    return key


def wrap(text, width=18):
    """Breaks a tick label at '+', ',' or spaces so long labels do not collide."""
    words = re.split(r"(?<=[+, ])", text)
    lines, line = [], ""
    for w in words:
        if line and len(line) + len(w) > width:
            lines.append(line.rstrip())
            line = ""
        line += w
    lines.append(line.rstrip())
    return "\n".join(lines)
