#!/usr/bin/env bash
# Builds the benchmarks (optimised) and runs them all: the piece picker, the
# engine (event queue, link model), the wire codec and the end-to-end swarms of
# bench/scenarios/. Prints the tables of docs/PERFORMANCE.md and keeps the raw
# results (Google Benchmark JSON, swarm.csv, report.md) in results/bench/.
#
# Usage: scripts/bench.sh [--filter REGEX] [--scenarios "NAME ..."] [--no-micro]
#   --filter REGEX     run only the micro-benchmarks matching REGEX (Google
#                      Benchmark's --benchmark_filter), e.g. 'BM_picker_pick/pieces:2000'
#   --scenarios LIST   end-to-end scenarios by name in bench/scenarios or by path
#                      (default: "flash-300 flash-1000 scale-10k"; "" runs none)
#   --no-micro         skip the micro-benchmarks
# Environment: BUILD_DIR (default build/release, the release preset), OUT_DIR
# (default results/bench), TIMEOUT (seconds per scenario, default 900), REPEAT
# (runs of each scenario, default 1; the report shows median and minimum) and
# CPU (pin the scenario runs to this CPU, e.g. CPU=1; default not pinned).
# The exit code is 1 if a benchmark failed or a scenario did not complete.
set -euo pipefail
cd "$(dirname "$0")/.."

filter=""
scenarios="flash-300 flash-1000 scale-10k"
micro=1
while (($# > 0)); do
  case "$1" in
    --filter) filter="$2"; shift 2 ;;
    --scenarios) scenarios="$2"; shift 2 ;;
    --no-micro) micro=0; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

build_dir="${BUILD_DIR:-build/release}"
out_dir="${OUT_DIR:-results/bench}"
timeout="${TIMEOUT:-900}"

bash scripts/setup.sh
echo "=== build (${build_dir}, Release)"
if [[ -z "${BUILD_DIR:-}" ]]; then
  cmake --preset release >/dev/null
else
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build_dir" --target bench -j 2

mkdir -p "$out_dir"
cut -d' ' -f1-3 /proc/loadavg >"${out_dir}/loadavg-start.txt"  # the report shows it
status=0
if ((micro)); then
  for name in picker engine codec; do
    echo "=== bench_${name}"
    args=(--benchmark_out="${out_dir}/${name}.json" --benchmark_out_format=json)
    if [[ -n "$filter" ]]; then args+=(--benchmark_filter="$filter"); fi
    "${build_dir}/bench/bench_${name}" "${args[@]}" || status=1
  done
fi

files=()
for s in $scenarios; do
  if [[ -f "$s" ]]; then files+=("$s"); else files+=("bench/scenarios/${s}.yaml"); fi
done
if ((${#files[@]} > 0)); then
  echo "=== bench_swarm (each scenario in its own process, timeout ${timeout} s)"
  swarm_args=(--timeout "$timeout" --out "$out_dir" --repeat "${REPEAT:-1}")
  if [[ -n "${CPU:-}" ]]; then swarm_args+=(--cpu "$CPU"); fi
  "${build_dir}/bench/bench_swarm" "${files[@]}" "${swarm_args[@]}" || status=1
fi

echo "=== report (${out_dir}/report.md)"
python3 bench/report.py "$out_dir" >"${out_dir}/report.md.tmp"
mv "${out_dir}/report.md.tmp" "${out_dir}/report.md"
cat "${out_dir}/report.md"
exit "$status"
