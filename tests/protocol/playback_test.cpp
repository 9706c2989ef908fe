// The playback model (protocol/playback.hpp): startup, stalls, skips and the
// continuity index from the times pieces complete.

#include "protocol/playback.hpp"

#include <gtest/gtest.h>

#include "peer_pipe.hpp"
#include "picker_policies.hpp"
#include "protocol/peer.hpp"

namespace swarmsim::protocol {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// 8 pieces of 16 KiB played at 16 KiB/s: a second each; the last is half.
const torrent_geometry geometry(7 * 16384 + 8192, 16384, 16384);

time_point at(double s) {
  return time_point{} + std::chrono::duration_cast<duration>(std::chrono::duration<double>(s));
}

struct viewer {
  explicit viewer(playback_options o, double want = 0) : pb(geometry, o, at(want)) {}
  void arrive(std::uint32_t p, double t) {
    have.set(p);
    pb.on_piece(p, at(t), have);
  }
  void arrive_all_from(std::uint32_t p, double t) {
    for (; p < geometry.num_pieces(); ++p)
      arrive(p, t);
  }
  bitfield have{geometry.num_pieces()};
  playback pb;
};

playback_options buffered(double seconds_of_buffer) {
  playback_options o;
  o.bitrate = 16384;
  o.start_buffer =
      std::chrono::duration_cast<duration>(std::chrono::duration<double>(seconds_of_buffer));
  return o;
}

TEST(playback, starts_once_the_buffer_holds_enough_without_a_gap) {
  viewer v(buffered(3));
  v.arrive(1, 0.5);
  v.arrive(2, 1.0);
  EXPECT_EQ(v.pb.state(), playback::phase::waiting);
  EXPECT_DOUBLE_EQ(v.pb.buffer_ahead(at(1), v.have), 0);  // piece 0 missing
  v.arrive(0, 2.5);
  EXPECT_EQ(v.pb.state(), playback::phase::playing);
  EXPECT_EQ(*v.pb.metrics().startup_delay, seconds(2) + milliseconds(500));
  EXPECT_DOUBLE_EQ(v.pb.buffer_ahead(at(2.5), v.have), 3);
  v.arrive_all_from(3, 3);
  v.pb.advance(at(100), v.have);
  EXPECT_EQ(v.pb.state(), playback::phase::finished);
  EXPECT_EQ(v.pb.metrics().stalls, 0u);
  EXPECT_EQ(v.pb.metrics().on_time, 8u);
  EXPECT_DOUBLE_EQ(v.pb.metrics().continuity(), 1.0);
}

TEST(playback, stalls_on_a_missing_piece_and_resumes_when_it_arrives) {
  viewer v(buffered(3));
  for (std::uint32_t p = 0; p < 3; ++p)
    v.arrive(p, 0);
  v.arrive_all_from(4, 1);
  v.pb.advance(at(4), v.have);  // piece 3 was due at 3 s
  EXPECT_EQ(v.pb.state(), playback::phase::stalled);
  EXPECT_EQ(v.pb.position(), 3u);
  EXPECT_EQ(v.pb.metrics_at(at(4)).stall_time, seconds(1));
  v.arrive(3, 5.5);
  EXPECT_EQ(v.pb.state(), playback::phase::playing);
  v.pb.advance(at(100), v.have);
  const auto& m = v.pb.metrics();
  EXPECT_EQ(m.stalls, 1u);
  EXPECT_EQ(m.stall_time, seconds(2) + milliseconds(500));
  EXPECT_EQ(m.late, 1u);
  EXPECT_EQ(m.on_time, 7u);
  EXPECT_DOUBLE_EQ(m.continuity(), 7.0 / 8.0);
  EXPECT_TRUE(m.finished);
}

TEST(playback, a_piece_that_arrives_as_it_is_reached_is_late) {
  viewer v(buffered(1));
  v.arrive(0, 0);
  v.arrive(1, 1);  // reached at 1 s, and arriving then: not before its deadline
  EXPECT_EQ(v.pb.metrics().late, 1u);
  EXPECT_EQ(v.pb.metrics().stalls, 1u);
  EXPECT_EQ(v.pb.metrics().stall_time, duration::zero());
}

TEST(playback, skip_after_gives_up_on_a_late_piece) {
  playback_options o = buffered(2);
  o.skip_after = seconds(1);
  viewer v(o);
  v.arrive(0, 0);
  v.arrive(1, 0);
  v.arrive(3, 0);
  v.arrive(5, 0);  // 2 and 4 never come
  v.pb.advance(at(2.5), v.have);
  EXPECT_EQ(v.pb.state(), playback::phase::stalled);
  // 2 skipped at 3 s (3 plays), 4 at 5 s (5 plays), 6 at 7 s, then 7 is missing too.
  v.pb.advance(at(7.5), v.have);
  EXPECT_EQ(v.pb.state(), playback::phase::stalled);
  EXPECT_EQ(v.pb.position(), 7u);
  EXPECT_EQ(v.pb.metrics().skipped, 3u);
  EXPECT_EQ(v.pb.metrics_at(at(7.5)).stall_time, seconds(2) + milliseconds(1500));
  v.pb.advance(at(30), v.have);
  const auto& m = v.pb.metrics();
  EXPECT_EQ(v.pb.state(), playback::phase::finished);
  EXPECT_EQ(m.skipped, 4u);
  EXPECT_EQ(m.stalls, 3u);  // at 2, 4 and 6 s; skipping 6 and 7 is one interruption
  EXPECT_EQ(m.late, 4u);
  EXPECT_EQ(m.on_time, 4u);
  EXPECT_EQ(m.stall_time, seconds(4));
}

TEST(playback, the_first_pieces_rule_and_a_later_start) {
  playback_options o = buffered(100);
  o.start_pieces = 2;
  viewer v(o, 10);  // the viewer wants to watch from 10 s
  v.arrive(0, 1);
  v.arrive(1, 2);
  v.pb.advance(at(5), v.have);
  EXPECT_EQ(v.pb.state(), playback::phase::waiting);
  EXPECT_EQ(v.pb.deadline(2, at(5)), at(12));
  v.pb.advance(at(10), v.have);
  EXPECT_EQ(v.pb.state(), playback::phase::playing);
  EXPECT_EQ(*v.pb.metrics().startup_delay, duration::zero());
  EXPECT_EQ(v.pb.deadline(4, at(10.5)), at(14));
}

TEST(playback, a_whole_content_shorter_than_the_buffer_starts_when_complete) {
  viewer v(buffered(60));
  v.arrive_all_from(0, 4);
  EXPECT_EQ(v.pb.state(), playback::phase::playing);
  EXPECT_EQ(*v.pb.metrics().startup_delay, seconds(4));
  v.pb.advance(at(11.5), v.have);
  EXPECT_EQ(v.pb.state(), playback::phase::finished);  // 7.5 s of content
}

// A peer with playback follows its own downloads: with the sequential picker
// from a seed that sends faster than the bitrate, playback starts once the
// buffer is in and never stalls; with rarest first it starts later.
TEST(playback, a_peer_plays_what_it_downloads) {
  const auto startup = [](pick_policy policy) {
    peer_options o;
    o.playback = buffered(2);
    o.playback.bitrate = 4 * 16384;  // 4 pieces a second
    o.picker.policy = ref_of(policy);
    testing::peer_pipe pipe(torrent_geometry(64 * 16384, 16384, 16384), o);
    pipe.add_peer(true);
    pipe.add_peer(false);
    pipe.connect(1, 0);
    pipe.run();
    EXPECT_TRUE(pipe[1].is_seed());
    const playback* pb = pipe[1].playback_state();
    EXPECT_NE(pb, nullptr);
    EXPECT_EQ(pipe[0].playback_state()->metrics().startup_delay, duration::zero());  // a seed
    return pb ? pb->metrics() : playback_metrics{};
  };
  const playback_metrics sequential = startup(pick_policy::sequential);
  ASSERT_TRUE(sequential.startup_delay);
  EXPECT_EQ(sequential.stalls, 0u);
  const playback_metrics rarest = startup(pick_policy::rarest_first);
  ASSERT_TRUE(rarest.startup_delay);
  EXPECT_LT(*sequential.startup_delay, *rarest.startup_delay);
}

TEST(playback, the_outcome_of_a_peer_with_every_piece_plays_on_to_the_end) {
  viewer v(buffered(2));
  v.arrive(0, 0);
  v.arrive(1, 0);  // starts at 0 s
  v.arrive(3, 1);
  v.pb.advance(at(2.5), v.have);  // stalled on piece 2 since 2 s
  ASSERT_EQ(v.pb.state(), playback::phase::stalled);
  EXPECT_DOUBLE_EQ(v.pb.played(at(2.5)), 2);
  // Half a second of stall so far; the viewer itself is not moved.
  EXPECT_EQ(v.pb.outcome(at(2.5), v.have).stall_time, milliseconds(500));
  EXPECT_EQ(v.pb.state(), playback::phase::stalled);
  v.arrive_all_from(2, 4);  // complete at 4 s: two seconds of stall in all
  const playback_metrics m = v.pb.outcome(at(4), v.have);
  EXPECT_TRUE(m.finished);
  EXPECT_EQ(m.stalls, 1u);
  EXPECT_EQ(m.stall_time, seconds(2));
  EXPECT_EQ(m.on_time + m.late, geometry.num_pieces());
  EXPECT_EQ(m.late, 1u);
  EXPECT_DOUBLE_EQ(v.pb.played(at(4.5)), 2.5);
}

}  // namespace
}  // namespace swarmsim::protocol
