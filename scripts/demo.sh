#!/usr/bin/env bash
# Installs what is missing, builds swarmsim (release) and runs the demo scenario.
# Usage: scripts/demo.sh [SCENARIO.yaml] [extra `swarmsim run` flags]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target swarmsim
scenario=${1:-scenarios/demo.yaml}
shift || true
./build/release/swarmsim run "$scenario" "$@"
