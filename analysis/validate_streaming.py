"""Streaming pickers' published findings (analysis/validate.py family
"streaming"; docs/VALIDATION.md): scenarios/validation/streaming.yaml states
the papers' setups, how ours differs, and the criteria."""

import json
import os

SEEDS = range(1, 6)


def outcomes(r, picker, scenario="streaming"):
    """Per seed: (leechers completed, viewers' median startup, mean continuity,
    mean stalls, mean stall time)."""
    out = []
    for seed in SEEDS:
        d = r.run(scenario, f"{scenario}-{picker}-{seed}",
                  [f"groups.viewers.picker.policy={picker}", f"simulation.seed={seed}"])
        with open(os.path.join(d, "summary.json")) as f:
            s = json.load(f)
        p = s["playback"]
        out.append((s["completed_fraction"], p["startup_delay_s"]["median"],
                    p["continuity"]["mean"], p["stalls"]["mean"], p["stall_time_s"]["mean"]))
    return out


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else float("nan")


def check_streaming(r, t, fmt):
    runs = {p: outcomes(r, p) for p in ("rarest_first", "sequential", "bitos")}
    completed = {p: mean([o[0] for o in v]) for p, v in runs.items()}
    startup = {p: mean([o[1] for o in v]) for p, v in runs.items()}
    continuity = {p: mean([o[2] for o in v]) for p, v in runs.items()}
    bitos_all = all(o[0] == 1 for o in runs["bitos"])
    t.add("BiToS against in-order (slow seed)",
          "viewers' continuity, BiToS / sequential; seeds where every leecher completes",
          f"{fmt(continuity['bitos'])} / {fmt(continuity['sequential'])}; "
          f"{sum(o[0] == 1 for o in runs['bitos'])} of {len(SEEDS)}",
          "smoother playback, healthy swarm (Vlavianos et al. 2006)",
          "BiToS higher, and all seeds complete",
          continuity["bitos"] > continuity["sequential"] and bitos_all)
    faster = startup["sequential"] < 0.5 * startup["rarest_first"]
    starves = completed["sequential"] <= completed["rarest_first"] - 0.2
    t.add("In-order start and starvation (slow seed)",
          "startup s, sequential / rarest first; leechers completed, same",
          f"{fmt(startup['sequential'])} / {fmt(startup['rarest_first'])}; "
          f"{fmt(completed['sequential'])} / {fmt(completed['rarest_first'])}",
          "starts first, starves the swarm (Carlsson and Eager 2007)",
          "startup < half; completed >= 0.2 lower", faster and starves)
    dl = {p: outcomes(r, p, "streaming-deadline") for p in ("sequential", "deadline")}
    stalls = {p: mean([o[3] for o in v]) for p, v in dl.items()}
    stalled = {p: mean([o[4] for o in v]) for p, v in dl.items()}
    t.add("Deadline requests (good seed)",
          "stalls per viewer, deadline / sequential; stall time (s), same",
          f"{fmt(stalls['deadline'])} / {fmt(stalls['sequential'])}; "
          f"{fmt(stalled['deadline'])} / {fmt(stalled['sequential'])}",
          "fewer stalls (libtorrent time-critical pieces)", "both lower",
          stalls["deadline"] < stalls["sequential"] and stalled["deadline"] < stalled["sequential"])
