#!/usr/bin/python3
"""Runs the validation set (scenarios/validation/) and compares the simulated
results with theory and published findings.

    analysis/validate.py                       # everything, a few minutes
    analysis/validate.py --quick               # skips the 1000-peer runs
    analysis/validate.py --only fluid --reuse  # one family, reusing earlier runs
    analysis/validate.py --markdown docs/VALIDATION-table.md --figures docs/validation

Prints a table of simulated versus predicted values with pass/fail and exits 1
if any check fails (2 on a usage error, e.g. no swarmsim binary).

Needs python3 with pandas (matplotlib for --figures): Debian's python3-pandas and
python3-matplotlib (with pyenv in the way, run it as /usr/bin/python3 ...).

Checks (docs/VALIDATION.md explains each):
  mdt-*        T_all_done / T_min (Kumar & Ross) for flash crowds of 10, 100, 1000
  fluid-*      steady state of Qiu & Srikant's fluid model: leechers x, seeds y,
               download time T, within 15 %
  entropy      rarest-first keeps piece entropy and peer availability near 1,
               sequential does not
               (Legout et al., IMC 2006)
  clustering   unchoke assortativity by upload capacity with a well- and an
               under-provisioned seed (Legout et al., SIGMETRICS 2007)
  free-riders  slowed by tit-for-tat, not starved
  utilisation  upload utilisation in a 1000-peer flash crowd (Bharambe et al.)
  strategies   BitTyrant, PropShare and FairTorrent against their papers
               (analysis/validate_strategies.py)
  streaming    BiToS and in-order pickers against their papers
               (analysis/validate_streaming.py)
"""

import argparse
import glob
import math
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import validate_strategies  # noqa: E402
import validate_streaming  # noqa: E402

try:
    import pandas as pd
except ImportError:  # pragma: no cover
    sys.exit("validate.py needs pandas (Debian: python3-pandas; try /usr/bin/python3)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS = os.path.join(ROOT, "scenarios", "validation")


# ---- running swarmsim ------------------------------------------------------------


def find_swarmsim(given):
    if given:
        return given if os.path.isfile(given) else None
    candidates = [os.path.join(ROOT, "build", "release", "swarmsim")]
    candidates += sorted(glob.glob(os.path.join(ROOT, "build-*", "swarmsim")),
                         key=os.path.getmtime, reverse=True)
    candidates += [os.path.join(ROOT, "build", "swarmsim")]
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


class runner:
    def __init__(self, swarmsim, out, reuse):
        self.swarmsim, self.out, self.reuse = swarmsim, out, reuse
        self.wall = {}

    def run(self, scenario, name, sets=()):
        """Runs scenarios/validation/<scenario>.yaml into out/<name>/; returns the dir."""
        d = os.path.join(self.out, name)
        if self.reuse and os.path.exists(os.path.join(d, "summary.json")):
            return d
        cmd = [self.swarmsim, "run", os.path.join(SCENARIOS, scenario + ".yaml"), "--out", d, "-q"]
        for s in sets:
            cmd += ["--set", s]
        print(f"  running {name} ...", file=sys.stderr, flush=True)
        t0 = time.time()
        r = subprocess.run(cmd, capture_output=True, text=True)
        self.wall[name] = time.time() - t0
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
        return d


def load(d, what):
    return pd.read_csv(os.path.join(d, what + ".csv"))


# ---- theory (independent of the C++ implementation) -------------------------------


def kumar_ross(peers, file_size):
    """T_min = max(F/u_s, F/min d_i, N F / (u_s + sum u_i)) over the peers at t = 0."""
    at0 = peers[peers.arrival_s == 0]
    seeds = at0[at0.role == "initial_seed"]
    leech = at0[at0.role == "leecher"]
    us = seeds.upload_capacity_bytes_per_s.sum()
    return max(file_size / us, file_size / leech.download_capacity_bytes_per_s.min(),
               len(leech) * file_size / (us + leech.upload_capacity_bytes_per_s.sum()))


def qiu_srikant(lam, mu, c, gamma, theta=0.0, eta=1.0):
    """Steady state (x, y, T) of the fluid model; mu, c in files per second."""
    inv_beta = max(1 / c, (1 / mu - 1 / gamma) / eta)
    beta = 1 / inv_beta
    x = lam / (beta + theta)
    y = lam / (gamma * (1 + theta / beta))
    return x, y, 1 / (theta + beta)


def deterministic_service_with_abort(lam, mu, c, gamma, theta):
    """Fixed point of the same bandwidth balance with a deterministic download
    time D (instead of the fluid model's exponential one): a leecher completes
    with probability exp(-theta D) and stays min(Exp(theta), D);
    D = max(1/c, x / (mu (x + y)))."""
    d = 1 / mu
    for _ in range(500):
        stay = (1 - math.exp(-theta * d)) / theta
        x = lam * stay
        y = lam * math.exp(-theta * d) / gamma
        d_new = max(1 / c, x / (mu * (x + y)))
        d = 0.5 * d + 0.5 * d_new
    return x, y, stay, d


# ---- the checks ----------------------------------------------------------------------


class table:
    def __init__(self):
        self.rows = []

    def add(self, check, quantity, simulated, predicted, criterion, ok):
        self.rows.append(dict(check=check, quantity=quantity, simulated=simulated,
                              predicted=predicted, criterion=criterion, result="pass" if ok else "FAIL"))

    def markdown(self):
        out = ["| check | quantity | simulated | predicted / reference | criterion | result |",
               "|---|---|---|---|---|---|"]
        for r in self.rows:
            out.append("| {check} | {quantity} | {simulated} | {predicted} | {criterion} | {result} |"
                       .format(**r))
        return "\n".join(out) + "\n"


def fmt(v, digits=3):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.{digits}g}" if abs(v) < 1000 else f"{v:.0f}"


def check_mdt(r, t, figs, quick):
    sizes = (10, 100) if quick else (10, 100, 1000)
    limits = {"homogeneous": 1.3, "heterogeneous": 1.5}
    curves = {}
    for kind in ("homogeneous", "heterogeneous"):
        for n in sizes:
            d = r.run(f"mdt-{kind}", f"mdt-{kind}-{n}", [f"groups.leechers.count={n}"])
            peers = load(d, "peers")
            leech = peers[peers.role == "leecher"]
            file_size = 32 * 2**20 if kind == "homogeneous" else 16 * 2**20
            t_min = kumar_ross(peers, file_size)
            done = leech.completion_s.max() if leech.completion_s.notna().all() else float("nan")
            ratio = done / t_min
            curves.setdefault(kind, []).append((n, ratio))
            t.add(f"mdt-{kind} N={n}", "T_all_done / T_min",
                  f"{fmt(ratio)} ({fmt(done)} s)", f"1 (T_min {fmt(t_min)} s)",
                  f"<= {limits[kind]}", ratio <= limits[kind])
    if figs:
        fig, ax = figs.subplots()
        for kind, pts in curves.items():
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=kind)
        ax.axhline(1, color="grey", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("leechers N")
        ax.set_ylabel("T_all_done / T_min")
        ax.set_title("Flash crowds against Kumar & Ross's bound")
        ax.legend()
        figs.save(fig, "mdt.png")


FLUID = dict(lam=1.0, file=16 * 2**20, up=2e6 / 8, down=20e6 / 8, warm=600.0, end=3600.0)


def fluid_observed(d):
    ts, peers = load(d, "timeseries"), load(d, "peers")
    w = ts[(ts.time_s >= FLUID["warm"]) & (ts.time_s <= FLUID["end"])]
    leech = peers[(peers.role == "leecher") & (peers.arrival_s >= FLUID["warm"])
                  & (peers.arrival_s <= FLUID["end"] - 600)]
    # Time spent as a leecher: until completion, or until it aborted.
    as_leecher = leech.completion_s.fillna(leech.departure_s) - leech.arrival_s
    return dict(x=w.leechers.mean(), y=w.seeds.mean() - 1,  # minus the initial seed
                T=as_leecher.mean(), T_done=leech.download_time_s.mean(),
                completed=leech.completion_s.notna().mean(), ts=ts)


def check_fluid(r, t, figs):
    mu = FLUID["up"] / FLUID["file"]
    c = FLUID["down"] / FLUID["file"]
    series = {}
    for name, gamma, theta in (("fluid-upload-bound", 1 / 30, 0.0),
                               ("fluid-download-bound", 1 / 120, 0.0),
                               ("fluid-abort", 1 / 30, 0.01)):
        d = r.run(name, name)
        o = fluid_observed(d)
        x, y, T = qiu_srikant(FLUID["lam"], mu, c, gamma, theta)
        series[name] = (o["ts"], x, y)
        for q, sim, pred in (("leechers x", o["x"], x), ("seeds y", o["y"], y),
                             ("time as leecher T (s)", o["T"], T)):
            err = sim / pred - 1
            t.add(name + " (Qiu & Srikant)", q, fmt(sim), fmt(pred), "within 15 %",
                  abs(err) <= 0.15)
            t.rows[-1]["simulated"] += f" ({err:+.1%})"
        if theta > 0:
            x2, y2, stay, _ = deterministic_service_with_abort(FLUID["lam"], mu, c, gamma, theta)
            for q, sim, pred in (("leechers x", o["x"], x2), ("seeds y", o["y"], y2),
                                 ("time as leecher T (s)", o["T"], stay)):
                err = sim / pred - 1
                t.add(name + " (deterministic download time)", q, f"{fmt(sim)} ({err:+.1%})",
                      fmt(pred), "within 15 %", abs(err) <= 0.15)
    if figs:
        fig, axes = figs.subplots(1, 3, figsize=(13, 3.6))
        for ax, (name, (ts, x, y)) in zip(axes, series.items()):
            ax.plot(ts.time_s, ts.leechers, lw=0.7, label="leechers")
            ax.plot(ts.time_s, ts.seeds - 1, lw=0.7, label="seeds")
            ax.axhline(x, color="C0", ls="--", lw=1, label="x = lambda T")
            ax.axhline(y, color="C1", ls="--", lw=1, label="y = lambda / gamma")
            ax.axvline(FLUID["warm"], color="grey", lw=0.6)
            ax.set_title(name)
            ax.set_xlabel("time (s)")
        axes[0].legend(fontsize=7)
        figs.save(fig, "fluid.png")


def piece_spread(ts):
    """Mean piece entropy and mean peer availability over the samples with
    leechers, the peer availability once every piece had left the seed, and when
    that happened (pieces_only_at_seeds first 0; NaN: never)."""
    live = ts[ts.leechers > 0]
    out = live[live.pieces_only_at_seeds == 0]
    when = out.time_s.iloc[0] if not out.empty else float("nan")
    steady = live[live.time_s >= when] if not out.empty else live.iloc[0:0]
    return (live.entropy.mean(), live.peer_availability.mean(),
            steady.peer_availability.mean(), when)


def check_entropy(r, t, figs):
    rarest = load(r.run("entropy-rarest-first", "entropy-rarest-first"), "timeseries")
    seq = load(r.run("entropy-rarest-first", "entropy-sequential",
                     ["groups.leechers.picker.policy=sequential"]), "timeseries")
    h_r, a_r, steady_r, out_r = piece_spread(rarest)
    h_s, a_s, _, out_s = piece_spread(seq)
    t.add("entropy rarest-first", "mean normalised piece entropy", fmt(h_r),
          "near ideal 1 (Legout et al. 2006)", ">= 0.9", h_r >= 0.9)
    # Legout et al. measure entropy as peer availability: how much of the time a
    # leecher is interested in the peers of its peer set.
    t.add("peer availability rarest-first", "leechers interested in a neighbour, after the "
          "seed's first copy", fmt(steady_r), "close to ideal 1 (Legout et al. 2006)", ">= 0.8",
          steady_r >= 0.8)
    t.add("peer availability sequential", "leechers interested in a neighbour, whole run",
          f"{fmt(a_s)} vs {fmt(a_r)}", "well below rarest-first", "<= rarest-first - 0.2",
          a_s <= a_r - 0.2)
    never = math.isnan(out_s) and not math.isnan(out_r)
    t.add("entropy sequential vs rarest-first", "time until every piece left the seed (s)",
          f"{'never' if never else fmt(out_s)} vs {fmt(out_r)}", "later with sequential",
          ">= 2x rarest-first", never or out_s >= 2 * out_r)
    if figs:
        fig, ax = figs.subplots()
        for name, ts in (("rarest-first", rarest), ("sequential", seq)):
            live = ts[ts.leechers > 0]
            ax.plot(live.time_s, live.peer_availability, lw=0.8, label=name)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("peer availability")
        ax.set_title("Leechers interested in their neighbours: rarest-first vs sequential")
        ax.legend()
        figs.save(fig, "entropy.png")


def mean_assortativity(overlay):
    busy = overlay[overlay.unchoke_edges >= 10]
    return busy.unchoke_assortativity.mean(), busy.unchoke_same_capacity.mean()


def check_clustering(r, t, figs):
    good = load(r.run("clustering", "clustering-well-provisioned"), "overlay")
    poor = load(r.run("clustering", "clustering-under-provisioned",
                      ["groups.seed.upload=20KB/s"]), "overlay")
    a_good, s_good = mean_assortativity(good)
    a_poor, s_poor = mean_assortativity(poor)
    # Random pairing of the three classes would give same-class unchokes
    # sum(share^2) = 0.33 of the time.
    t.add("clustering well-provisioned seed", "unchoke assortativity (same class)",
          f"{fmt(a_good)} ({fmt(s_good)})", "clustered (Legout et al. 2007); random: 0 (0.33)",
          ">= 0.3", a_good >= 0.3)
    t.add("clustering under-provisioned seed", "unchoke assortativity (same class)",
          f"{fmt(a_poor)} ({fmt(s_poor)})", "clustering vanishes",
          "above >= 0.3 and this <= half of it", a_good >= 0.3 and a_poor <= a_good / 2)
    if figs:
        fig, ax = figs.subplots()
        for name, o in (("seed 200 kB/s", good), ("seed 20 kB/s", poor)):
            busy = o[o.unchoke_edges >= 10]
            ax.plot(busy.time_s, busy.unchoke_assortativity, ".-", lw=0.7, label=name)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("unchoke assortativity by upload")
        ax.set_title("Who unchokes whom: clustering by upload capacity")
        ax.legend()
        figs.save(fig, "clustering.png")


def check_free_riders(r, t):
    peers = load(r.run("free-riders", "free-riders"), "peers")
    free = peers[peers.group == "free-riders"]
    fair = peers[peers.group == "contributors"]
    done = free.completion_s.notna().mean()
    ratio = free.download_time_s.median() / fair.download_time_s.median()
    t.add("free-riders not starved", "free-riders completed", f"{done:.0%}",
          "all (optimistic unchokes)", "100 %", done == 1.0)
    t.add("free-riders slowed", "median download time, free / contributors", fmt(ratio),
          "> 1 (tit-for-tat)", ">= 1.2", ratio >= 1.2)
    t.add("free-riders upload nothing", "bytes uploaded by free-riders",
          str(int(free.bytes_uploaded.sum())), "0", "= 0", free.bytes_uploaded.sum() == 0)


def check_utilisation(r, t, quick):
    if quick:
        return
    d = r.run("utilisation-1000", "utilisation-1000")
    ts, peers = load(d, "timeseries"), load(d, "peers")
    leech = peers[peers.role == "leecher"]
    t90 = leech.completion_s.quantile(0.9)
    w = ts[(ts.time_s > 0) & (ts.time_s <= t90)]
    u = w.upload_utilisation.mean()
    t.add("utilisation 1000-peer flash crowd", "upload rate / live upload capacity (to 90 % done)",
          fmt(u), "near 1 (Bharambe et al. 2006)", ">= 0.9", u >= 0.9)


class figures:
    def __init__(self, directory):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        self.plt, self.dir = plt, directory
        os.makedirs(directory, exist_ok=True)

    def subplots(self, *a, **k):
        k.setdefault("figsize", (6, 3.8))
        return self.plt.subplots(*a, **k)

    def save(self, fig, name):
        fig.tight_layout()
        fig.savefig(os.path.join(self.dir, name), dpi=110)
        self.plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--swarmsim", help="the swarmsim binary (default: build/release/ or build-*/)")
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "validation"),
                    help="where the runs go (default: results/validation)")
    ap.add_argument("--only", default="", help="run only the checks whose family contains this")
    ap.add_argument("--quick", action="store_true", help="skip the 1000-peer runs")
    ap.add_argument("--reuse", action="store_true", help="reuse runs already in --out")
    ap.add_argument("--markdown", help="also write the table to this file")
    ap.add_argument("--figures", help="write PNG figures into this directory")
    args = ap.parse_args()

    swarmsim = find_swarmsim(args.swarmsim)
    if not swarmsim:
        print("validate.py: no swarmsim binary (build it, or give --swarmsim)", file=sys.stderr)
        return 2
    r = runner(swarmsim, args.out, args.reuse)
    figs = figures(args.figures) if args.figures else None
    t = table()
    families = [("mdt", lambda: check_mdt(r, t, figs, args.quick)),
                ("fluid", lambda: check_fluid(r, t, figs)),
                ("entropy", lambda: check_entropy(r, t, figs)),
                ("clustering", lambda: check_clustering(r, t, figs)),
                ("free-riders", lambda: check_free_riders(r, t)),
                ("utilisation", lambda: check_utilisation(r, t, args.quick)),
                ("strategies", lambda: validate_strategies.check_strategies(r, t, load, fmt)),
                ("streaming", lambda: validate_streaming.check_streaming(r, t, fmt))]
    t0 = time.time()
    for name, f in families:
        if args.only in name:
            print(f"{name}:", file=sys.stderr, flush=True)
            f()
    text = t.markdown()
    print(text)
    failed = sum(row["result"] != "pass" for row in t.rows)
    print(f"{len(t.rows) - failed} passed, {failed} failed "
          f"({time.time() - t0:.0f} s, swarmsim {os.path.relpath(swarmsim, ROOT)})")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
