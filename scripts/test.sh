#!/usr/bin/env bash
# Installs what is missing, then builds and runs the whole test suite twice (an
# optimised build, and a build under AddressSanitizer + UndefinedBehaviorSanitizer),
# then runs each libFuzzer target of tests/fuzz/ for 15 s (scripts/fuzz.sh).
# Usage: scripts/test.sh [release|asan|fuzz]...   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh munge slurmctld slurmd slurm-client  # + the single-node Slurm of tests/slurm/
steps=("$@")
if ((${#steps[@]} == 0)); then steps=(release asan fuzz); fi
jobs=$(nproc 2>/dev/null || echo 2)
for step in "${steps[@]}"; do
  if [[ $step == fuzz ]]; then
    echo "=== fuzz: every target for 15 s"
    bash scripts/fuzz.sh 15
    continue
  fi
  echo "=== ${step}: configure and build"
  cmake --preset "$step" >/dev/null
  cmake --build --preset "$step" -j "$jobs"
  echo "=== ${step}: test"
  ctest --preset "$step"
done
