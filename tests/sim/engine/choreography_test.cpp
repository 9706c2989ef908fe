#include "sim/engine/choreography.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <vector>

namespace swarmsim::sim {
namespace {

using namespace std::chrono_literals;
using protocol::piece_index;
using protocol::time_origin;

constexpr std::uint32_t pieces = 4;

// One group of `n` leechers (no initial pieces) arriving at t = 0, and a seed.
struct fixture {
  scenario spec;
  std::vector<planned_peer> plan;

  explicit fixture(std::uint32_t n, after_completion_kind after = after_completion_kind::stay) {
    spec.groups.resize(2);
    spec.groups[0].after_completion.kind = after;
    for (std::uint32_t i = 0; i < n; ++i) {
      planned_peer& p = plan.emplace_back();
      p.initial = protocol::bitfield(pieces);
      p.upload = 100;
    }
    planned_peer& seed = plan.emplace_back();
    seed.group = 1;
    seed.initial_seed = true;
    seed.initial = protocol::bitfield(pieces, true);
    seed.upload = 200;
  }
  choreography make() const { return choreography(spec, plan, pieces); }
};

protocol::time_point at(protocol::duration d) {
  return time_origin + d;
}

TEST(choreography, stay_schedules_nothing_on_completion) {
  fixture f(1);
  choreography c = f.make();
  EXPECT_EQ(c.on_arrive(0).size(), 0u);
  EXPECT_EQ(c.on_complete(0, at(5s)), std::nullopt);
  EXPECT_TRUE(c.is_complete(0));
  EXPECT_EQ(c.completed(), 1u);
}

TEST(choreography, leave_departs_at_once_on_completion) {
  fixture f(1, after_completion_kind::leave);
  choreography c = f.make();
  c.on_arrive(0);
  EXPECT_EQ(c.on_complete(0, at(5s)), (cue{cue_kind::depart, 0, at(5s)}));
  EXPECT_EQ(c.on_complete(0, at(6s)), std::nullopt) << "completes once";
}

TEST(choreography, seed_for_departs_after_the_drawn_seeding_time) {
  fixture f(2, after_completion_kind::seed_for);
  f.plan[0].seed_time = 30s;
  f.plan[1].seed_time = 7s;
  choreography c = f.make();
  c.on_arrive(0);
  c.on_arrive(1);
  EXPECT_EQ(c.on_complete(0, at(5s)), (cue{cue_kind::depart, 0, at(35s)}));
  EXPECT_EQ(c.on_complete(1, at(6s)), (cue{cue_kind::depart, 1, at(13s)}));
  EXPECT_TRUE(c.applies(cue{cue_kind::depart, 0, at(35s)}));
  c.on_depart(0);
  EXPECT_FALSE(c.applies(cue{cue_kind::depart, 0, at(35s)})) << "gone already";
}

TEST(choreography, abort_by_pieces_comes_with_the_piece_that_reaches_the_threshold) {
  fixture f(1);
  f.plan[0].abort_at_pieces = 2;
  choreography c = f.make();
  c.on_arrive(0);
  EXPECT_EQ(c.on_piece(0, piece_index{3}, at(1s)), std::nullopt);
  EXPECT_EQ(c.on_piece(0, piece_index{3}, at(1s)), std::nullopt) << "a piece counts once";
  const auto abort = c.on_piece(0, piece_index{1}, at(2s));
  EXPECT_EQ(abort, (cue{cue_kind::abort, 0, at(2s)}));
  EXPECT_TRUE(c.applies(*abort));
}

TEST(choreography, abort_by_timer_applies_only_while_the_peer_is_incomplete) {
  fixture f(2);
  f.plan[0].abort_after = 20s;
  f.plan[1].abort_after = 20s;
  f.plan[1].arrival = at(10s);
  choreography c = f.make();
  const cue_list first = c.on_arrive(0);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(*first.begin(), (cue{cue_kind::abort, 0, at(20s)}));
  const cue_list second = c.on_arrive(1);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(*second.begin(), (cue{cue_kind::abort, 1, at(30s)})) << "from its arrival";
  c.on_complete(1, at(25s));
  EXPECT_TRUE(c.applies(*first.begin()));
  EXPECT_FALSE(c.applies(*second.begin())) << "completed before its abort time";
}

TEST(choreography, leave_at_is_absolute_and_skipped_for_later_arrivals) {
  fixture f(2);
  f.spec.groups[0].leave_at = 60s;
  f.plan[1].arrival = at(90s);
  choreography c = f.make();
  const cue_list first = c.on_arrive(0);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(*first.begin(), (cue{cue_kind::depart, 0, at(60s)}));
  EXPECT_EQ(c.on_arrive(1).size(), 0u);
}

TEST(choreography, counts_and_samples_follow_arrivals_completions_and_departures) {
  fixture f(2);
  choreography c = f.make();
  EXPECT_FALSE(c.all_done());
  for (std::uint32_t i = 0; i < 3; ++i)
    c.on_arrive(i);
  c.on_piece(0, piece_index{0}, at(1s));
  protocol::peer unused(protocol::torrent_geometry(4 * 16384, 16384, 16384), {}, {}, {}, {}, 1);
  const auto peer_of = [&](std::uint32_t) -> const protocol::peer& { return unused; };
  const sample& s = c.take_sample(at(2s), sample_inputs{1, 400, 300, 9}, peer_of);
  EXPECT_EQ(s.time, 2s);
  EXPECT_EQ(s.leechers, 2u);
  EXPECT_EQ(s.seeds, 1u);
  EXPECT_EQ(s.arrived, 3u);
  EXPECT_EQ(s.connections, 1u);
  EXPECT_DOUBLE_EQ(s.upload_rate, 200);
  EXPECT_DOUBLE_EQ(s.seed_upload_rate, 150);
  EXPECT_DOUBLE_EQ(s.upload_utilisation, 0.5);  // 200 of 400 live upload
  EXPECT_EQ(s.availability_min, 1u);            // the seed's copy
  EXPECT_EQ(s.pieces_only_at_seeds, 3u);        // piece 0 is at leecher 0
  EXPECT_TRUE(std::isnan(s.peer_availability)) << "no leecher has a connection";
  EXPECT_EQ(s.events, 9u);
  c.on_complete(1, at(3s));
  c.on_depart(1);
  c.on_depart(0);
  EXPECT_TRUE(c.all_done());
  const sample& end = c.take_sample(at(4s), sample_inputs{0, 400, 300, 10}, peer_of);
  EXPECT_EQ(end.leechers, 0u);
  EXPECT_EQ(end.seeds, 1u);
  EXPECT_EQ(end.departed, 2u);
  EXPECT_EQ(end.completed, 1u);
  EXPECT_EQ(end.pieces_only_at_seeds, 4u);
  EXPECT_EQ(&c.take_sample(at(4s), sample_inputs{}, peer_of), &end) << "one sample per instant";
  EXPECT_EQ(c.samples().size(), 2u);
}

}  // namespace
}  // namespace swarmsim::sim
