#!/usr/bin/env bash
# Rewrites the golden digests (tests/golden/*.sha256) from the release build.
# Refreshing is deliberate: run it only when an output is meant to change, and say
# in the commit why it moved (tests/cli/golden_test.cpp compares against them).
# Usage: scripts/refresh-golden.sh [BUILD_DIR]   (default: build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
cmake --build "$build" --target swarmsim >/dev/null
declare -A scenarios=(
  [demo]=scenarios/demo.yaml
  [sites]=tests/golden/sites.yaml
  [churn]=tests/golden/churn.yaml
  [superseed]=tests/golden/superseed.yaml
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for name in "${!scenarios[@]}"; do
  "$build/swarmsim" run "${scenarios[$name]}" --out "$tmp/$name" --quiet
  (cd "$tmp/$name" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum) \
    >"tests/golden/$name.sha256"
  if ! git diff --quiet -- "tests/golden/$name.sha256" 2>/dev/null; then
    echo "refresh-golden: $name changed:"
    git --no-pager diff --stat -- "tests/golden/$name.sha256" | head -1
  fi
done
echo "refresh-golden: digests in tests/golden/*.sha256"
