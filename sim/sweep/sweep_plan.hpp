#pragma once
// What a sweep runs: the cross product of the varied scenario values, each with
// a number of seeds, and how that list of runs is cut into shards.
//
// 1. Runs are numbered 0 .. runs() - 1 in a fixed order: combination-major
//    (the first --vary key varies slowest, like nested loops in the order given),
//    then seed. Seeds are first_seed, first_seed + 1, ... for every combination,
//    so combinations are compared on the same seeds. A varied key's linked keys
//    take the value at the same position: they add no combination, and the
//    tables and labels name the varied key only.
// 2. Shard I of N (1 <= I <= N) holds the runs k with k mod N == I - 1: every run
//    belongs to exactly one shard, and the shards of a sweep are about equally
//    long even when one combination is slower than the others.
// 3. Combination labels (used as folder names) are unique, non-empty, and made of
//    [A-Za-z0-9._+=-] only.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace swarmsim::sim {

// A bad --vary, --shard or --seeds value, or sweep results that do not fit together.
class sweep_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A key that moves with a varied key: its i-th value goes with the varied
// key's i-th (--vary 'A=1,2;B=x,y' runs A=1 with B=x and A=2 with B=y).
struct linked_key {
  std::string key;
  std::vector<std::string> values;

  friend bool operator==(const linked_key&, const linked_key&) = default;
};

struct varied_key {
  std::string key;                    // scenario path, as for --set
  std::vector<std::string> values;    // YAML values, as for --set
  std::vector<linked_key> with = {};  // keys that vary in step with this one

  friend bool operator==(const varied_key&, const varied_key&) = default;
};

// Splits "V1,V2,..." at the commas outside brackets, braces and quotes, so
// "{at: 0s},{uniform: {start: 0s, window: 1min}}" gives two values. Spaces around a
// value are trimmed. Throws sweep_error for an empty value or unbalanced brackets.
std::vector<std::string> split_values(std::string_view text);

// Parses "KEY=V1,V2,..."; further "KEY2=W1,W2,..." after ';' (outside quotes
// and brackets) are linked to the first key and need as many values. Throws
// sweep_error (message names the --vary text).
varied_key parse_vary(std::string_view text);

struct shard_spec {
  std::uint32_t index = 1;  // 1-based
  std::uint32_t count = 1;

  friend bool operator==(const shard_spec&, const shard_spec&) = default;
};

// Parses "I/N" with 1 <= I <= N. Throws sweep_error.
shard_spec parse_shard(std::string_view text);

struct run_ref {
  std::size_t index = 0;        // position in the sweep's run order
  std::size_t combination = 0;  // index into the cross product
  std::uint64_t seed = 0;
};

class sweep_plan {
 public:
  // Throws sweep_error for a key given twice (linked ones included), a repeated
  // value, a linked key whose values do not match its varied key's in number,
  // seeds == 0, or a varied simulation.seed (use the seed count instead).
  sweep_plan(std::vector<varied_key> vary, std::uint32_t seeds, std::uint64_t first_seed);

  const std::vector<varied_key>& vary() const { return vary_; }
  std::uint32_t seeds() const { return seeds_; }
  std::uint64_t first_seed() const { return first_seed_; }

  std::size_t combinations() const;  // 1 when nothing is varied
  std::size_t runs() const { return combinations() * seeds_; }

  // The value of each varied key in combination c, in key order.
  std::vector<std::string> values(std::size_t combination) const;
  // The same as "key=value" overrides, linked keys included.
  std::vector<std::string> overrides(std::size_t combination) const;
  // A readable folder name, e.g. "policy=sequential" or "policy=random+count=50";
  // "base" when nothing is varied. Unique among the plan's combinations.
  std::string label(std::size_t combination) const;

  run_ref run(std::size_t index) const;
  // The runs of one shard, in run order.
  std::vector<run_ref> shard_runs(shard_spec shard) const;

  friend bool operator==(const sweep_plan&, const sweep_plan&) = default;

 private:
  std::vector<varied_key> vary_;
  std::uint32_t seeds_;
  std::uint64_t first_seed_;
  std::vector<std::string> labels_;
};

// sweep.json (and shard-I-of-N.json): what a sweep directory holds, so that
// `swarmsim merge` can check that shards belong together and rebuild the plan.
struct sweep_manifest {
  std::string swarmsim_version;
  std::string scenario;              // the scenario file, as given
  std::string scenario_name;         // its `name`
  std::string scenario_fingerprint;  // scenario_fingerprint() of the base scenario
  std::vector<std::string> set;      // --set overrides, as given
  sweep_plan plan;
  std::optional<shard_spec> shard;  // only in a shard's file

  // Equal but for the shard: the shards of one sweep.
  bool same_sweep(const sweep_manifest& other) const;
};

// 16 hex digits of a 64-bit FNV-1a hash of `resolved_yaml` (save_scenario() of the
// base scenario, --set applied): shards of one sweep ran the same scenario.
std::string scenario_fingerprint(std::string_view resolved_yaml);

std::string format_manifest_json(const sweep_manifest& m);
// Throws sweep_error naming `source` for malformed JSON or a bad plan.
sweep_manifest parse_manifest_json(std::string_view text, std::string_view source);

}  // namespace swarmsim::sim
