#!/usr/bin/env bash
# Installs what is missing, then builds and runs the whole test suite twice:
# an optimised build, and a build under AddressSanitizer + UndefinedBehaviorSanitizer.
# Usage: scripts/test.sh [release|asan]...   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh munge slurmctld slurmd slurm-client  # + the single-node Slurm of tests/slurm/
presets=("$@")
if ((${#presets[@]} == 0)); then presets=(release asan); fi
jobs=$(nproc 2>/dev/null || echo 2)
for preset in "${presets[@]}"; do
  echo "=== ${preset}: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "=== ${preset}: test"
  ctest --preset "$preset"
done
