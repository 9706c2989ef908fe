#!/usr/bin/python3
"""Regenerates the measured tables of the README and docs/, or checks them.

    analysis/doc_tables.py [--check] [--only NAME,...] [--swarmsim PATH] [--work DIR] [--docs DIR]

A measured table sits in a Markdown file between two comments:

    <!-- doc-table NAME -->
    ...the table, as this script last wrote it...
    <!-- /doc-table -->

NAME names one entry of TABLES below: the sweep that measures it (a scenario,
the varied key and the seeds) and how its results become a table. Without
--check the script runs each sweep named in README.md or docs/*.md (once, even
when several files show its table), and writes the tables in place. With
--check it writes nothing and exits 1 when a table in a file differs from what
the sweep gives now, printing the difference: a stale number is a failing test
(tests/cli/doc_tables_test.cpp runs it). Runs are deterministic (same scenario
and seed, same bytes), so a table changes only when behaviour does. Without
--check it also draws the figures of FIGURES from the same sweeps.

--swarmsim is the binary (default build/release/swarmsim); --work keeps the
sweeps (default: a temporary folder, removed afterwards); --docs reads and
writes README.md and docs/*.md under another folder (the scenarios are always
the repository's).
"""

import argparse
import difflib
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VIEWER_PICKERS = "rarest_first,sequential,sequential_fallback,bitos,hybrid,deadline"

# name: (sweep arguments after `swarmsim sweep`, renderer); "validation" runs
# analysis/validate.py instead (about two minutes: the test suite checks the
# others, which take seconds).
TABLES = {
    "validation": ([], "validation"),
    "slow-seed": (["scenarios/slow-seed.yaml", "--vary",
                   "groups.leechers.picker.policy=rarest_first,sequential", "--seeds", "5"],
                  "compare"),
    "streaming-good-seed": (["scenarios/streaming-good-seed.yaml", "--vary",
                             f"groups.viewers.picker.policy={VIEWER_PICKERS}", "--seeds", "5"],
                            "streaming"),
    "streaming-slow-seed": (["scenarios/streaming-slow-seed.yaml", "--vary",
                             f"groups.viewers.picker.policy={VIEWER_PICKERS}", "--seeds", "5"],
                            "streaming"),
}

# The rows of a "compare" table: compare.csv metric, heading, decimals.
COMPARE_ROWS = [
    ("completed_fraction", "leechers completed", 3),
    ("distribution_time_s", "time until all done, s", 1),
    ("distribution_time_over_t_min", "T / T_min", 3),
    ("download_time_s.mean", "mean download time, s", 1),
    ("time_to_first_piece_s.mean", "time to first piece, s", 2),
    ("upload_utilisation", "upload utilisation", 3),
    ("availability_min", "copies of the rarest piece, lowest", 0),
    ("entropy_mean", "piece-diversity entropy, mean", 3),
    ("pieces_only_at_seeds_mean", "pieces no leecher holds, mean", 1),
]

# Figures drawn from the sweeps of tables, when all of them ran (not with
# --check: a PNG is not compared): path under the repository, without the suffix.
FIGURES = {
    "docs/compare/streaming_tradeoff": ["streaming-good-seed", "streaming-slow-seed"],
}

BLOCK = re.compile(r"(<!-- doc-table ([a-z0-9-]+) -->\n)(.*?)(<!-- /doc-table -->)", re.S)


def compare_table(sweep_dir):
    import csv

    import streaming

    with open(os.path.join(sweep_dir, "compare.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    key = list(rows[0].keys())[1]
    labels = []
    for r in rows:
        if r[key] not in labels:
            labels.append(r[key])
    by = {(r[key], r["metric"]): r for r in rows}
    out = ["| metric | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for metric, heading, digits in COMPARE_ROWS:
        cells = []
        for label in labels:
            r = by.get((label, metric))
            if r is None:
                cells.append("never (0 of ? runs)")
                continue
            x = {k: float(r[k]) if r[k] else None for k in ("mean", "ci95_low", "ci95_high")}
            cells.append(streaming.ci_text(x["mean"], x["ci95_low"], x["ci95_high"], int(r["n"]),
                                           int(r["runs"]), digits))
        out.append(f"| {heading} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def streaming_table(sweep_dir):
    import streaming

    _, combos = streaming.load_sweep(sweep_dir)
    return streaming.table(combos)


def draw(name, sweep_dirs):
    import streaming

    sweeps = [streaming.load_sweep(d) for d in sweep_dirs]
    for path in streaming.figure(sweeps, os.path.join(ROOT, os.path.dirname(name))):
        print(f"drew {os.path.relpath(path, ROOT)}")


def validation_table(swarmsim, out):
    table = os.path.join(out, "table.md")
    cmd = [sys.executable, os.path.join(ROOT, "analysis", "validate.py"), "--swarmsim", swarmsim,
           "--out", out, "--markdown", table]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: some check failed, which the table says
        sys.exit(f"doc_tables.py: validation: `{' '.join(cmd)}` failed:\n{done.stderr}")
    with open(table) as f:
        text = f.read()
    rows = [line for line in text.splitlines()[2:] if line.startswith("|")]
    passed = sum(line.rstrip().endswith("| pass |") for line in rows)
    return f"{passed} of {len(rows)} checks pass.\n\n{text.rstrip()}"


def measure(name, swarmsim, work):
    args, kind = TABLES[name]
    out = os.path.join(work, name)
    shutil.rmtree(out, ignore_errors=True)
    if kind == "validation":
        return validation_table(swarmsim, out) + "\n"
    cmd = [swarmsim, "sweep", *args, "--quiet", "--out", out]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"doc_tables.py: {name}: `{' '.join(cmd)}` failed:\n{done.stderr}")
    return (compare_table if kind == "compare" else streaming_table)(out) + "\n"


def documents(root):
    files = [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs", "*.md")))
    return [f for f in files if os.path.exists(f)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    parser.add_argument("--only", help="only these tables (comma-separated names)")
    parser.add_argument("--swarmsim", default=os.path.join(ROOT, "build", "release", "swarmsim"))
    parser.add_argument("--work", help="keep the sweeps here")
    parser.add_argument("--docs", default=ROOT,
                        help="the folder holding README.md and docs/ (default: the repository)")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    unknown = (only or set()) - set(TABLES)
    if unknown:
        parser.error(f"unknown table {', '.join(sorted(unknown))} (known: {', '.join(TABLES)})")
    if not os.access(args.swarmsim, os.X_OK):
        parser.error(f"no swarmsim binary at {args.swarmsim} (build it, or give --swarmsim)")

    texts = {}
    for path in documents(args.docs):
        with open(path) as f:
            texts[path] = f.read()
    wanted = []
    for path, text in texts.items():
        for m in BLOCK.finditer(text):
            name = m.group(2)
            if name not in TABLES:
                sys.exit(f"doc_tables.py: {os.path.relpath(path, args.docs)}: unknown table "
                         f"'{name}' (known: {', '.join(TABLES)})")
            if (only is None or name in only) and name not in wanted:
                wanted.append(name)

    work = args.work or tempfile.mkdtemp(prefix="swarmsim-doc-tables-")
    try:
        tables = {name: measure(name, args.swarmsim, work) for name in wanted}
        if not args.check:
            for name, sweeps in FIGURES.items():
                if all(s in tables for s in sweeps):
                    draw(name, [os.path.join(work, s) for s in sweeps])
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    stale = 0
    for path, text in texts.items():
        def fill(m):
            name = m.group(2)
            return m.group(1) + tables[name] + m.group(4) if name in tables else m.group(0)

        new = BLOCK.sub(fill, text)
        if new == text:
            continue
        rel = os.path.relpath(path, args.docs)
        if args.check:
            stale += 1
            sys.stdout.writelines(difflib.unified_diff(
                text.splitlines(True), new.splitlines(True), f"{rel} (as written)",
                f"{rel} (as measured now)"))
        else:
            with open(path + ".tmp", "w") as f:
                f.write(new)
            os.replace(path + ".tmp", path)
            print(f"updated {rel}")
    if args.check:
        if stale:
            print(f"doc_tables.py: {stale} file(s) hold stale tables; "
                  "run analysis/doc_tables.py to rewrite them", file=sys.stderr)
            return 1
        print(f"doc_tables.py: {len(wanted)} table(s) match what the sweeps give")
    return 0


if __name__ == "__main__":
    sys.exit(main())
