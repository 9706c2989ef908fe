#!/usr/bin/env bash
# Installs the Debian packages swarmsim needs, only those that are missing.
# Usage: scripts/setup.sh [EXTRA_PACKAGE...]   (e.g. clang-14 libclang-rt-14-dev for fuzzing)
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libboost-graph-dev libboost-system-dev libfmt-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libssl-dev
  python3 python3-matplotlib python3-pandas
  python3-libtorrent aria2 transmission-cli
)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
