// Viewers in a simulated swarm: every viewer's outcome reaches its record, the
// samples follow the viewers, and the streaming pickers trade startup delay
// against the swarm as they should.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "sim/engine/swarm.hpp"
#include "sim/results/playback_results.hpp"
#include "sim/scenario/scenario.hpp"

namespace swarmsim::sim {
namespace {

// One seed of 4 Mbit/s and 12 viewers of 1 Mbit/s up playing 2 Mbit/s of a
// 16 MiB file (64 s of content), all arriving at once.
scenario viewers(const std::string& picker) {
  return parse_scenario(R"(name: viewers
torrent: {size: 16MiB, piece_size: 256KiB}
network: {local_latency: 10ms}
groups:
  - {name: seed, role: seed, upload: 4Mbit/s}
  - name: v
    count: 12
    upload: 1Mbit/s
    download: 20Mbit/s
    playback: {bitrate: 2Mbit/s, start: {buffered: 4s}}
    picker: {policy: )" + picker +
                            R"(}
)",
                        "viewers.yaml");
}

run_result run_viewers(const std::string& picker) {
  swarm sw(viewers(picker));
  return sw.run();
}

TEST(playback_swarm, every_viewer_has_an_outcome_and_the_samples_follow_them) {
  const run_result r = run_viewers("rarest_first");
  std::uint32_t with = 0;
  for (const peer_record& p : r.peers) {
    if (p.group != "v") {
      EXPECT_FALSE(p.playback);
      continue;
    }
    ASSERT_TRUE(p.playback);
    ++with;
    EXPECT_TRUE(p.playback->startup_delay);
    EXPECT_TRUE(p.playback->finished);  // complete: played on to the end
    EXPECT_EQ(p.playback->on_time + p.playback->late, 64u);
  }
  EXPECT_EQ(with, 12u);
  ASSERT_FALSE(r.samples.empty());
  EXPECT_TRUE(std::all_of(r.samples.begin(), r.samples.end(),
                          [](const sample& s) { return s.playback.has_value(); }));
  EXPECT_EQ(r.samples.front().playback->viewers, 12u);  // all waiting at the start
  const auto summary = summarize_playback(r.peers);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->started, 12u);
}

TEST(playback_swarm, in_order_pickers_start_sooner_than_rarest_first) {
  const auto startup = [](const run_result& r) {
    return summarize_playback(r.peers)->startup_delay->values.median;
  };
  const double rarest = startup(run_viewers("rarest_first"));
  for (const char* picker : {"sequential", "bitos", "hybrid", "sequential_fallback"})
    EXPECT_LT(startup(run_viewers(picker)), rarest) << picker;
}

}  // namespace
}  // namespace swarmsim::sim
