// Scenarios that ask for the absurd: rates so low that a block's time overflows
// the clock, swarms and sample series larger than the machine's memory, and
// scenario files that never end. Each is refused with a message naming the
// field, before anything is built.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "scenario_error.hpp"
#include "sim/scenario/memory_estimate.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/units.hpp"

namespace swarmsim::sim {
namespace {

using testing::HasSubstr;
using testing::StartsWith;

constexpr std::uint64_t gib = 1024ull * 1024 * 1024;

// A rate of 1e-9 B/s made one block take 1.6e22 ns: the conversion to 64-bit
// ticks overflowed, and the run "completed" at negative times.
TEST(scenario_limits, rates_below_the_floor_are_refused_where_they_are_given) {
  EXPECT_EQ(error_of("groups: [{name: s, role: seed, upload: 1e-9}]"),
            "test.yaml:1:40: upload: rate 1e-09 B/s is below the minimum of 1 B/s");
  EXPECT_EQ(error_of("groups:\n  - {name: s, role: seed, download: 0.5B/s}"),
            "test.yaml:2:37: download: rate 0.5 B/s is below the minimum of 1 B/s");
  EXPECT_EQ(error_of("groups: [{name: s, role: seed, upload_cap: 2e-6}]"),
            "test.yaml:1:44: upload_cap: rate 2e-06 B/s is below the minimum of 1 B/s");
  EXPECT_EQ(error_of("groups: [{name: s, role: seed, classes: [{share: 1, upload: 1e-7, "
                     "download: 1Mbit}]}]"),
            "test.yaml:1:61: upload: rate 1e-07 B/s is below the minimum of 1 B/s");
  EXPECT_EQ(error_of("groups: [{name: s, role: seed}]", {"groups.s.upload=1e-9"}),
            "--set groups.s.upload=1e-9: upload: rate 1e-09 B/s is below the minimum of 1 B/s");
  // The floor itself, 8 bit/s, and a free-rider's cap of 0 are fine.
  EXPECT_NO_THROW(parse_scenario(
      "groups: [{name: s, role: seed, upload: 1B/s, download: 8bit, upload_cap: 0}]", "t"));
  EXPECT_FALSE(check_rate_floor(min_rate));
  EXPECT_TRUE(check_rate_floor(std::nextafter(min_rate, 0.0)));
}

// `swarmsim run /dev/zero` read until std::bad_alloc.
TEST(scenario_limits, a_scenario_file_larger_than_the_cap_is_refused) {
  try {
    load_scenario("/dev/zero");
    FAIL() << "/dev/zero was read as a scenario";
  } catch (const scenario_error& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("/dev/zero: more than {} bytes; a scenario file is at most that",
                          max_scenario_file_size));
  }
}

TEST(scenario_limits, the_memory_estimate_names_the_field_that_weighs_most) {
  const scenario small = parse_scenario("groups: [{name: s, role: seed, count: 100}]", "t");
  EXPECT_FALSE(check_memory(small, 1 * gib));
  EXPECT_FALSE(check_memory(small, 0));  // unknown: no refusal

  // The documented maximum of peers, 10 million, aborted with std::bad_alloc.
  const scenario crowd = parse_scenario(
      fmt::format("groups: [{{name: s, role: seed}}, {{name: l, count: {}}}]", max_peers - 1), "t");
  const auto crowded = check_memory(crowd, 16 * gib);
  ASSERT_TRUE(crowded);
  EXPECT_THAT(*crowded, StartsWith("groups: 10000000 peers of 256 pieces need about "));
  EXPECT_THAT(*crowded, HasSubstr("more than the 16.0 GiB of this machine"));
  EXPECT_GT(estimate_memory(crowd).peers, 16 * gib);

  // A 1 ms sample interval over 24 h: 86.4 million samples.
  const scenario dense = parse_scenario(
      "groups: [{name: s, role: seed}]\nsimulation: {sample_interval: 1ms, time_limit: 24h}", "t");
  const auto sampled = check_memory(dense, 16 * gib);
  ASSERT_TRUE(sampled);
  EXPECT_THAT(*sampled, StartsWith("simulation.sample_interval: 86400001 samples over the "
                                   "time_limit of 24h need about "));
  // The estimate grows with what it counts.
  const scenario sparse = parse_scenario(
      "groups: [{name: s, role: seed}]\nsimulation: {sample_interval: 1s, time_limit: 24h}", "t");
  EXPECT_GT(estimate_memory(dense).samples, 900 * estimate_memory(sparse).samples);
  EXPECT_GT(physical_memory(), 0u);
}

}  // namespace
}  // namespace swarmsim::sim
