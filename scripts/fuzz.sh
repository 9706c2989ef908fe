#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang (-fsanitize=fuzzer,
# address,undefined) and runs each for SECONDS (default 20), starting from its
# seed corpus tests/fuzz/corpus/<name>/ (read only; new inputs go to the build
# directory). Exits non-zero if any target crashes, leaks or times out; the
# failing input is saved as <build>/artifacts/<name>-crash-... .
#
# Needs clang (clang++-14 on Debian bookworm) and its libFuzzer runtime, which
# Debian ships in libclang-rt-14-dev; scripts/setup.sh installs both if missing.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   targets: bencode wire_codec announce_request metainfo peer (default: all)
# Environment: FUZZ_BUILD (default build-fuzz), CXX_FUZZ (default clang++-14 or clang++).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
if (($# > 0)); then shift; fi
targets=("$@")
if ((${#targets[@]} == 0)); then targets=(bencode wire_codec announce_request metainfo peer); fi

cxx=${CXX_FUZZ:-}
if [[ -z $cxx ]]; then
  bash scripts/setup.sh clang-14 libclang-rt-14-dev
fi
if [[ -z $cxx ]]; then
  if command -v clang++-14 >/dev/null; then cxx=clang++-14; else cxx=clang++; fi
fi
out=${FUZZ_BUILD:-build-fuzz}
mkdir -p "$out/obj" "$out/artifacts"

# The sources the targets link: protocol/ and the announce parser of sim/real/.
sources=(protocol/*.cpp sim/real/tracker/announce_request.cpp)
flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined
       -fno-sanitize-recover=all -I. -Itests)

echo "fuzz: building with $cxx in $out/"
objects=()
pids=()
for src in "${sources[@]}"; do
  obj="$out/obj/$(echo "$src" | tr / _).o"
  objects+=("$obj")
  "$cxx" "${flags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj" &
  pids+=($!)
  if ((${#pids[@]} >= 2)); then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for pid in "${pids[@]}"; do wait "$pid"; done

for name in "${targets[@]}"; do
  "$cxx" "${flags[@]}" -fsanitize=fuzzer "tests/fuzz/${name}_fuzz.cpp" "${objects[@]}" \
    -lfmt -lcrypto -o "$out/${name}_fuzz"
done

failed=()
for name in "${targets[@]}"; do
  mkdir -p "$out/corpus/$name"
  echo "fuzz: $name for ${seconds}s"
  if ! "$out/${name}_fuzz" "$out/corpus/$name" "tests/fuzz/corpus/$name" \
      -max_total_time="$seconds" -timeout=10 -max_len=20000 -print_final_stats=1 \
      -artifact_prefix="$out/artifacts/${name}-" >"$out/${name}.log" 2>&1; then
    failed+=("$name")
    echo "fuzz: $name FAILED; log: $out/${name}.log"
    grep -E "ERROR|SUMMARY|Test unit written|what\(\)" "$out/${name}.log" | head -20 || true
  else
    grep -E "stat::number_of_executed_units|cov:" "$out/${name}.log" | tail -2 || true
  fi
done

if ((${#failed[@]} > 0)); then
  echo "fuzz: crashes in: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a crash"
