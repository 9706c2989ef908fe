#!/usr/bin/env bash
# Loopback throughput of every interop pair, measured back to back in one run:
# libtorrent -> libtorrent (the baseline), swarmsim seed -> {swarmsim, libtorrent,
# aria2c, transmission-cli}, {libtorrent, aria2c, transmission-cli} seed ->
# swarmsim download. Each transfer is timed from the downloader's start to its
# last verified piece (client start-up included), and every copy is compared
# with the original.
#
# Usage: scripts/interop-throughput.sh [SIZE_MIB] [SWARMSIM_BINARY] [ENCRYPTION]
#   (defaults: 64, build/release/swarmsim, enabled). ENCRYPTION "required" makes
#   every client require encryption (MSE with RC4): swarmsim --encryption
#   required, libtorrent forced, aria2c --bt-require-crypto, Transmission -er;
#   "enabled" leaves each at its default (Transmission at -et, plaintext
#   preferred). Needs python3-libtorrent, aria2, transmission-cli
#   (scripts/setup.sh). Pin it with taskset on a shared machine.
set -euo pipefail

size_mib=${1:-64}
S=$(realpath "${2:-build/release/swarmsim}")
LT="/usr/bin/python3 $(realpath "$(dirname "$0")/../tests/sim/real/lt_client.py")"
case ${3:-enabled} in
  enabled) ss_enc=(--encryption enabled) lt_enc=(--encryption enabled) aria2_enc=() tr_enc=-et ;;
  required)
    ss_enc=(--encryption required) lt_enc=(--encryption forced) tr_enc=-er
    aria2_enc=(--bt-require-crypto=true --bt-min-crypto-level=arc4) ;;
  *) echo "ENCRYPTION must be enabled or required" >&2; exit 2 ;;
esac
work=$(mktemp -d /tmp/swarmsim-interop.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
wait_listen() { # PORT: until something accepts on it (60 s at most)
  for _ in $(seq 600); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
transmission_conf() { # DIR PORT
  mkdir -p "$1"
  printf '{"dht-enabled": false, "lpd-enabled": false, "pex-enabled": false, "utp-enabled": false, "port-forwarding-enabled": false, "peer-port": %s, "rpc-enabled": false}\n' "$2" >"$1/settings.json"
}
aria2_opts=(--enable-dht=false --enable-dht6=false --bt-enable-lpd=false --enable-peer-exchange=false
  --file-allocation=none --summary-interval=0 --console-log-level=error "${aria2_enc[@]}")

head -c $((size_mib << 20)) /dev/urandom >data.bin
tracker_port=$(port)
$S tracker --listen 127.0.0.1:"$tracker_port" -q &
pids+=($!)
wait_listen "$tracker_port"
$S torrent create data.bin --announce "http://127.0.0.1:$tracker_port/announce" -o t.torrent >/dev/null

# start_seed NAME: serves data.bin; sets seed_pid and seed_port
start_seed() {
  seed_port=$(port)
  case $1 in
    swarmsim) $S seed t.torrent --data data.bin --listen 127.0.0.1:"$seed_port" "${ss_enc[@]}" -q & ;;
    libtorrent) $LT seed t.torrent . --timeout 600 "${lt_enc[@]}" >lt-seed.log 2>&1 & ;;
    aria2c) aria2c --dir=. --listen-port="$seed_port" "${aria2_opts[@]}" --check-integrity=true \
      --seed-ratio=0.0 --seed-time=10 t.torrent >aria2-seed.log 2>&1 & ;;
    transmission-cli)
      transmission_conf tr-seed "$seed_port"
      transmission-cli -w . -g tr-seed -p "$seed_port" -M "$tr_enc" t.torrent >tr-seed.log 2>&1 & ;;
  esac
  seed_pid=$!
  pids+=("$seed_pid")
  [[ $1 == libtorrent ]] || wait_listen "$seed_port"
  sleep 3 # data checked and announced (64 MiB hashes in well under a second)
}

# download NAME: fetches into dl-NAME/ and prints the seconds it took
download() {
  local out=dl-$1 p t0 t1
  rm -rf "$out" && mkdir -p "$out"
  p=$(port)
  t0=$(now)
  case $1 in
    swarmsim) $S download t.torrent --out "$out" --peer 127.0.0.1:"$seed_port" "${ss_enc[@]}" -q \
      --timeout 5min ;;
    libtorrent) $LT download t.torrent "$out" --timeout 300 "${lt_enc[@]}" >/dev/null ;;
    aria2c) aria2c --dir="$out" --listen-port="$p" "${aria2_opts[@]}" --seed-time=0 t.torrent >/dev/null ;;
    transmission-cli)
      transmission_conf "tr-$out" "$p"
      printf '#!/bin/sh\ntouch %s/tr.done\n' "$work" >done.sh && chmod +x done.sh
      rm -f tr.done
      transmission-cli -w "$out" -g "tr-$out" -p "$p" -M "$tr_enc" -f "$work/done.sh" t.torrent \
        >tr-dl.log 2>&1 &
      local tp=$!
      wait_listen "$p"
      # Transmission ignores tracker peers on 127.x: the swarmsim seed is
      # restarted to dial it (seed --peer).
      local dialer=
      if [[ $seed_name == swarmsim ]]; then
        # It refuses connections until it has checked its (empty) files and
        # started the torrent; a refused dial is retried only after 60 s.
        sleep 3
        kill "$seed_pid" 2>/dev/null || true
        $S seed t.torrent --data data.bin --peer 127.0.0.1:"$p" "${ss_enc[@]}" -q >/dev/null 2>&1 &
        dialer=$!
      fi
      until [[ -e tr.done ]]; do sleep 0.05; done
      kill "$tp" 2>/dev/null || true
      [[ -n $dialer ]] && kill "$dialer" 2>/dev/null ;;
  esac
  t1=$(now)
  cmp -s data.bin "$out/data.bin" || { echo "$1: copy differs" >&2; exit 1; }
  echo "$t1 - $t0" | bc
}

printf '| seed | downloader | time (s) | MiB/s |\n|---|---|---:|---:|\n'
for pair in libtorrent:libtorrent swarmsim:swarmsim swarmsim:libtorrent swarmsim:aria2c \
  swarmsim:transmission-cli libtorrent:swarmsim aria2c:swarmsim transmission-cli:swarmsim; do
  seed_name=${pair%%:*}
  start_seed "$seed_name"
  t=$(download "${pair##*:}")
  kill "$seed_pid" 2>/dev/null || true
  wait "$seed_pid" 2>/dev/null || true
  printf '| %s | %s | %.2f | %.0f |\n' "$seed_name" "${pair##*:}" "$t" "$(echo "$size_mib / $t" | bc -l)"
done
