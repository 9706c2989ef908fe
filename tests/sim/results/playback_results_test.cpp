// The viewers' results: the samples and the summary over them, and the
// columns and keys they add to the result files only when there are viewers.

#include "sim/results/playback_results.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "sim/results/output.hpp"

namespace swarmsim::sim {
namespace {

using std::chrono::seconds;
using testing::HasSubstr;
using testing::Not;
using phase = protocol::playback::phase;

protocol::playback_metrics viewer(std::optional<duration> startup, std::uint32_t stalls,
                                  duration stall_time, std::uint32_t on_time, std::uint32_t late) {
  protocol::playback_metrics m;
  m.startup_delay = startup;
  m.stalls = stalls;
  m.stall_time = stall_time;
  m.on_time = on_time;
  m.late = late;
  return m;
}

std::vector<peer_record> peers_with_viewers() {
  std::vector<peer_record> peers(4);
  for (std::uint32_t i = 0; i < peers.size(); ++i)
    peers[i].id = protocol::peer_id{i};
  peers[0].role = peer_role::initial_seed;  // no viewer
  peers[1].playback = viewer(seconds(2), 1, seconds(3), 9, 1);
  peers[2].playback = viewer(seconds(4), 0, {}, 10, 0);
  peers[3].playback = viewer(std::nullopt, 0, {}, 0, 0);  // never started
  return peers;
}

TEST(playback_results, the_summary_is_over_the_viewers_that_started) {
  const auto s = summarize_playback(peers_with_viewers());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->viewers, 3u);
  EXPECT_EQ(s->started, 2u);
  ASSERT_TRUE(s->startup_delay);
  EXPECT_DOUBLE_EQ(s->startup_delay->values.mean, 3.0);
  EXPECT_DOUBLE_EQ(s->stalls->values.mean, 0.5);
  EXPECT_DOUBLE_EQ(s->stall_time->values.max, 3.0);
  EXPECT_DOUBLE_EQ(s->continuity->values.min, 0.9);
  ASSERT_TRUE(s->startup_delay->ci_low && s->startup_delay->ci_high);
  EXPECT_LT(*s->startup_delay->ci_low, 3.0);
  EXPECT_GT(*s->startup_delay->ci_high, 3.0);
  EXPECT_FALSE(summarize_playback(std::vector<peer_record>(2)));  // no viewer
}

TEST(playback_results, files_gain_viewer_columns_and_keys_only_with_viewers) {
  const std::vector<peer_record> none(2);
  EXPECT_THAT(format_peers_csv(none), Not(HasSubstr("startup_delay_s")));
  const std::string csv = format_peers_csv(peers_with_viewers());
  EXPECT_THAT(csv, HasSubstr(",connections_total,startup_delay_s,stalls,stall_time_s,continuity,"
                             "pieces_on_time,pieces_late,pieces_skipped\n"));
  EXPECT_THAT(csv, HasSubstr(",2.000000,1,3.000000,0.900000,9,1,0\n"));
  EXPECT_THAT(csv, HasSubstr(",0,,,,,,,\n"));            // the seed: no viewer
  EXPECT_THAT(csv, HasSubstr(",,0,0.000000,,0,0,0\n"));  // never started, reached nothing

  run_info info;
  const run_summary with = summarize(peers_with_viewers(), {}, info);
  const std::string json = format_summary_json(with, wall_clock_fields::omit);
  EXPECT_THAT(json, HasSubstr("\"playback\": {\n    \"viewers\": 3,\n    \"started\": 2,"));
  EXPECT_THAT(json, HasSubstr("\"ci95_low\": "));
  EXPECT_THAT(format_summary_json(summarize(none, {}, info), wall_clock_fields::omit),
              Not(HasSubstr("playback")));

  std::vector<sample> samples(1);
  EXPECT_THAT(format_timeseries_csv(samples), Not(HasSubstr("viewers")));
  samples[0].playback = summarize_viewers(std::vector<viewer_point>{});
  EXPECT_THAT(format_timeseries_csv(samples),
              HasSubstr(",events,viewers,viewers_waiting,viewers_stalled,position_mean_s,"
                        "buffer_mean_s,buffer_p10_s,buffer_median_s\n"));
  EXPECT_THAT(format_timeseries_csv(samples), HasSubstr(",0,0,0,,,,\n"));  // no viewer: empty
}

TEST(playback_results, a_sample_leaves_finished_viewers_out) {
  const std::vector<viewer_point> v{{phase::playing, 10, 4},
                                    {phase::stalled, 6, 0},
                                    {phase::waiting, 0, 2},
                                    {phase::finished, 100, 0}};
  const playback_sample s = summarize_viewers(v);
  EXPECT_EQ(s.viewers, 3u);
  EXPECT_EQ(s.waiting, 1u);
  EXPECT_EQ(s.stalled, 1u);
  EXPECT_DOUBLE_EQ(s.position_mean, 16.0 / 3);
  EXPECT_DOUBLE_EQ(s.buffer_mean, 2.0);
  EXPECT_DOUBLE_EQ(s.buffer_median, 2.0);
}

TEST(playback_results, a_sample_reads_a_copy_of_the_viewer) {
  const protocol::torrent_geometry g(10 * 16384, 16384);
  protocol::playback_options o;
  o.bitrate = 16384;  // a second per piece
  o.start_pieces = 2;
  protocol::playback pb(g, o, protocol::time_point{});
  protocol::bitfield have(10);
  for (std::uint32_t p = 0; p < 5; ++p)
    have.set(protocol::piece_index{p});
  pb.advance(protocol::time_point{}, have);  // starts at 0 s, piece 0 playing
  ASSERT_EQ(pb.position(), 1u);
  const viewer_point at = viewer_at(pb, protocol::time_point{seconds(2)}, have);
  EXPECT_EQ(at.phase, phase::playing);
  EXPECT_DOUBLE_EQ(at.played, 2.0);
  EXPECT_DOUBLE_EQ(at.buffer, 3.0);
  EXPECT_EQ(pb.position(), 1u);  // the viewer itself did not move
}

}  // namespace
}  // namespace swarmsim::sim
