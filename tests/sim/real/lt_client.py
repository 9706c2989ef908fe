#!/usr/bin/python3
"""A real BitTorrent client for swarmsim's interop tests: libtorrent-rasterbar
(Debian's python3-libtorrent) seeding or downloading one torrent on 127.0.0.1.

  lt_client.py seed     TORRENT SAVE_DIR [--timeout S] [--port P] [--peer HOST:PORT]
  lt_client.py download TORRENT SAVE_DIR [--timeout S] [--port P] [--peer HOST:PORT]

--encryption: enabled (libtorrent's default: MSE offered and accepted, plaintext
preferred), forced (MSE with RC4 only, both ways) or disabled (plaintext only).

--port: listen there (default: any free port); --peer: dial that peer until one
is connected (for a client that ignores tracker peers on 127.x); --dial-when
FILE: only once FILE exists (a peer that refuses early dials would be given up).

Prints "listening PORT" once it listens, then "seeding" (seed: data checked) or
"complete" (download: every piece checked by libtorrent) and, for a download,
exits 0. Exits 1 on timeout or error, 3 if libtorrent cannot be imported. It
stops by itself after --timeout seconds either way.
"""

import argparse
import os
import sys
import time

try:
    import libtorrent as lt
except ImportError:
    print("python3-libtorrent is not installed", file=sys.stderr)
    sys.exit(3)


ENCRYPTION = {
    # (in and out policy, allowed level, prefer RC4)
    "enabled": (lt.enc_policy.enabled, lt.enc_level.both, False),
    "forced": (lt.enc_policy.forced, lt.enc_level.rc4, True),
    "disabled": (lt.enc_policy.disabled, lt.enc_level.both, False),
}


def session(port, encryption):
    policy, level, prefer_rc4 = ENCRYPTION[encryption]
    s = lt.session({
        "listen_interfaces": "127.0.0.1:%d" % port,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "announce_to_all_trackers": True,
        "announce_to_all_tiers": True,
        "allow_multiple_connections_per_ip": True,
        # swarmsim speaks TCP only: without this libtorrent tries uTP first and
        # waits seconds for it to time out.
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "out_enc_policy": int(policy),
        "in_enc_policy": int(policy),
        "allowed_enc_level": int(level),
        "prefer_rc4": prefer_rc4,
        "alert_mask": int(lt.alert.category_t.error_notification
                          | lt.alert.category_t.status_notification),
    })
    return s


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["seed", "download"])
    p.add_argument("torrent")
    p.add_argument("save_dir")
    p.add_argument("--timeout", type=float, default=25)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--peer")
    p.add_argument("--dial-when")
    p.add_argument("--encryption", choices=sorted(ENCRYPTION), default="enabled")
    a = p.parse_args()

    s = session(a.port, a.encryption)
    info = lt.torrent_info(a.torrent)
    h = s.add_torrent({"ti": info, "save_path": a.save_dir})
    print("listening", s.listen_port(), flush=True)
    deadline = time.monotonic() + a.timeout
    announced = False
    while time.monotonic() < deadline:
        for alert in s.pop_alerts():
            if isinstance(alert, (lt.tracker_error_alert, lt.torrent_error_alert,
                                  lt.file_error_alert)):
                print("alert:", alert.message(), file=sys.stderr, flush=True)
        st = h.status()
        may_dial = not a.dial_when or os.path.exists(a.dial_when)
        if a.peer and may_dial and st.num_peers == 0 and st.state in (
                lt.torrent_status.seeding, lt.torrent_status.downloading):
            host, port = a.peer.rsplit(":", 1)
            h.connect_peer((host, int(port)))
        if a.mode == "seed":
            if st.is_seeding and not announced:
                h.force_reannounce()
                announced = True
                print("seeding", flush=True)
        elif st.is_seeding:
            print("complete", flush=True)
            return 0
        time.sleep(0.05)
    print("timed out: state %s, progress %.3f, peers %d" % (st.state, st.progress, st.num_peers),
          file=sys.stderr, flush=True)
    return 0 if a.mode == "seed" else 1


if __name__ == "__main__":
    sys.exit(main())
