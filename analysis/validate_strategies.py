"""The incentive strategies' and free-riders' published findings (analysis/validate.py family
"strategies"; docs/VALIDATION.md). Each scenario under scenarios/validation/
states the paper's setup and number, how ours differs, and the criterion."""

import math

# What BitTyrant clients need for their larger neighbour set, and mainline's.
TYRANT_VIEW = ("max_connections=150", "max_initiate=120", "min_peers=150")
MAINLINE_VIEW = ("max_connections=50", "max_initiate=40", "min_peers=20")


def group_of(peers, name):
    """Rows of group `name` (classes are written `group/class`)."""
    return peers[peers.group.str.split("/").str[0] == name]


def leechers(peers):
    return peers[peers.role == "leecher"]


def unfairness(peers):
    """Mean |log2(uploaded / downloaded)| over completed leechers (0: gave
    exactly what it got); an upload of nothing counts as 1/1000 of the download."""
    done = leechers(peers)
    done = done[done.completion_s.notna() & (done.bytes_downloaded > 0)]
    ratio = (done.bytes_uploaded / done.bytes_downloaded).clip(lower=1e-3)
    return ratio.map(lambda x: abs(math.log2(x))).mean()


def check_bittyrant(r, t, load, fmt):
    single = load(r.run("bittyrant-single", "bittyrant-single"), "peers")
    gain = (group_of(single, "control").download_time_s.median()
            / group_of(single, "tyrants").download_time_s.median())
    t.add("BitTyrant among mainline", "median download time, mainline control / BitTyrant",
          fmt(gain), "1.7 on live swarms (Piatek et al. 2007)", ">= 1.2", gain >= 1.2)
    held = load(r.run("bittyrant-single", "bittyrant-neighbours",
                      [f"groups.tyrants.{s}" for s in MAINLINE_VIEW]), "peers")
    held_gain = (group_of(held, "control").download_time_s.median()
                 / group_of(held, "tyrants").download_time_s.median())
    # Without a gain of at least 5 % with the larger view there is nothing to
    # attribute: the row fails.
    share = (held_gain - 1) / (gain - 1) if gain >= 1.05 else float("nan")
    t.add("BitTyrant with mainline's neighbour set",
          "gain - 1 with 50 connections over gain - 1 with 150", fmt(share),
          "most of the gain is the larger view (Carra et al. 2008)",
          "<= 0.5 (and a gain >= 1.05 to share)", not math.isnan(share) and share <= 0.5)
    mainline = load(r.run("bittyrant-all", "bittyrant-all-mainline"), "peers")
    tyrants = load(r.run("bittyrant-all", "bittyrant-all-bittyrant",
                         ["groups.leechers.choker.policy=bittyrant"]
                         + [f"groups.leechers.{s}" for s in TYRANT_VIEW]), "peers")
    ratio = (leechers(tyrants).download_time_s.mean()
             / leechers(mainline).download_time_s.mean())
    t.add("everyone on BitTyrant", "mean download time, all BitTyrant / all mainline",
          fmt(ratio), ">= 1: no gain when universal (Piatek et al.; Carra et al.)", ">= 0.95",
          ratio >= 0.95)


def check_fairtorrent(r, t, load, fmt):
    mainline = load(r.run("fairtorrent", "fairtorrent-mainline"), "peers")
    fair = load(r.run("fairtorrent", "fairtorrent-fairtorrent",
                      ["groups.leechers.choker.policy=fairtorrent"]), "peers")
    better = unfairness(mainline) / unfairness(fair)
    t.add("FairTorrent fairness", "mean abs(log2(up / down)), mainline / FairTorrent", fmt(better),
          "up to 100x (Sherman et al. 2009)", ">= 2", better >= 2)
    fast = [p[p.group == "leechers/fast"].download_time_s.median() for p in (mainline, fair)]
    t.add("FairTorrent contributors", "fast class median download time, mainline / FairTorrent",
          fmt(fast[0] / fast[1]), "up to 5x (Sherman et al. 2009)", "> 1", fast[0] > fast[1])


def check_propshare(r, t, load, fmt):
    peers = load(r.run("propshare", "propshare"), "peers")
    med = {g: group_of(peers, g).download_time_s.median()
           for g in ("mainline", "bittyrant", "propshare")}
    t.add("PropShare in a mixed swarm", "median download time, mainline / PropShare",
          fmt(med["mainline"] / med["propshare"]), "> 1 (Levin et al. 2008)", "> 1",
          med["propshare"] < med["mainline"])
    t.add("PropShare against BitTyrant", "median download time, BitTyrant / PropShare",
          fmt(med["bittyrant"] / med["propshare"]), "> 1 (Levin et al. 2008)", "> 1",
          med["propshare"] < med["bittyrant"])


def check_large_view(r, t, load, fmt):
    medians = {}
    for share, free in ((10, 20), (50, 100)):
        peers = load(r.run("free-riders-large-view", f"free-riders-large-view-{share}",
                           [f"groups.free-riders.count={free}",
                            f"groups.compliant.count={200 - free}"]), "peers")
        riders = group_of(peers, "free-riders")
        compliant = group_of(peers, "compliant")
        medians[share] = (riders.download_time_s.median(), compliant.download_time_s.median(),
                          riders.completion_s.notna().mean())
    ride, comply, done = medians[10]
    t.add("large-view free-riders, 10 %", "free-riders completed (the seed leaves at 120 s)",
          f"{done:.0%}", "all (BitThief, Locher et al. 2006)", "100 %", done == 1.0)
    t.add("large-view free-riders, 10 %", "median download time, free-riders / compliant",
          fmt(ride / comply), "< 1 under ~40 % (Sirivianos et al. 2007)", "< 1", ride < comply)
    ride, comply, _ = medians[50]
    t.add("large-view free-riders, 50 %", "median download time, free-riders / compliant",
          fmt(ride / comply), ">= 1: the edge is gone (Sirivianos et al. 2007)", ">= 1",
          ride >= comply)


def check_strategies(r, t, load, fmt):
    check_bittyrant(r, t, load, fmt)
    check_large_view(r, t, load, fmt)
    check_fairtorrent(r, t, load, fmt)
    check_propshare(r, t, load, fmt)
