#include "protocol/choker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <stdexcept>

namespace swarmsim::protocol {

void PrintTo(connection_id c, std::ostream* os) {
  *os << "conn " << c.value();
}

namespace {

using std::chrono::seconds;

time_point at(int s) {
  return time_origin + seconds(s);
}

// One candidate, set up in one line: peer(3).down(500).snub().
struct peer : choke_candidate {
  explicit peer(std::uint32_t id) {
    conn = connection_id{id};
    peer_interested = true;
    connected_at = time_origin - std::chrono::hours(1);  // an old connection
  }
  peer& down(double r) {
    download_rate = r;
    return *this;
  }
  peer& up(double r) {
    upload_rate = r;
    return *this;
  }
  peer& uninterested() {
    peer_interested = false;
    return *this;
  }
  peer& snub() {
    snubbed = true;
    return *this;
  }
  peer& connected(time_point t) {
    connected_at = t;
    return *this;
  }
};

std::vector<connection_id> ids(std::initializer_list<connection_id::rep> values) {
  std::vector<connection_id> out;
  for (auto v : values)
    out.push_back(connection_id{v});
  std::sort(out.begin(), out.end());
  return out;
}

bool has(const std::vector<connection_id>& set, connection_id::rep id) {
  return std::find(set.begin(), set.end(), connection_id{id}) != set.end();
}

choker_options slots(std::uint32_t upload, std::uint32_t optimistic) {
  choker_options o;
  o.upload_slots = upload;
  o.optimistic_slots = optimistic;
  return o;
}

TEST(choker, regular_slots_go_to_the_fastest_uploaders_to_us) {
  choker c;  // 4 slots: 3 regular + 1 optimistic
  std::vector<choke_candidate> cs{peer(1).down(10), peer(2).down(60), peer(3).down(30),
                                  peer(4).down(50), peer(5).down(20), peer(6).down(40)};
  rng r(1);
  auto unchoked = c.rechoke(cs, false, at(10), r);
  ASSERT_EQ(unchoked.size(), 4u);
  EXPECT_TRUE(has(unchoked, 2) && has(unchoked, 4) && has(unchoked, 6));
  ASSERT_TRUE(c.optimistic());
  EXPECT_TRUE(has(ids({1, 3, 5}), c.optimistic()->value()));
  EXPECT_TRUE(std::is_sorted(unchoked.begin(), unchoked.end()));
}

TEST(choker, equal_rates_are_broken_by_connection_id_whatever_the_input_order) {
  choker a(slots(3, 0));
  choker b(slots(3, 0));
  std::vector<choke_candidate> cs{peer(7).down(5), peer(3).down(5), peer(9).down(5),
                                  peer(1).down(5), peer(5).down(5)};
  std::vector<choke_candidate> reversed(cs.rbegin(), cs.rend());
  rng r(1);
  EXPECT_EQ(a.rechoke(cs, false, at(10), r), ids({1, 3, 5}));
  EXPECT_EQ(b.rechoke(reversed, false, at(10), r), ids({1, 3, 5}));
}

TEST(choker, uninterested_peers_are_never_unchoked) {
  choker c;
  std::vector<choke_candidate> cs{peer(1).down(900).uninterested(),
                                  peer(2).down(800).uninterested(), peer(3).down(10),
                                  peer(4).down(5).uninterested(), peer(5)};
  rng r(7);
  for (int t = 10; t <= 300; t += 10) {
    auto unchoked = c.rechoke(cs, false, at(t), r);
    EXPECT_EQ(unchoked, ids({3, 5})) << "at " << t << " s";
  }
  std::vector<choke_candidate> nobody{peer(1).uninterested(), peer(2).uninterested()};
  EXPECT_TRUE(c.rechoke(nobody, false, at(310), r).empty());
  EXPECT_FALSE(c.optimistic());
  EXPECT_TRUE(c.rechoke(nobody, true, at(320), r).empty());
}

TEST(choker, snubbed_peers_get_no_regular_slot) {
  choker c(slots(3, 0));
  std::vector<choke_candidate> cs{peer(1).down(900).snub(), peer(2).down(50), peer(3).down(40),
                                  peer(4).down(30), peer(5).down(20)};
  rng r(1);
  EXPECT_EQ(c.rechoke(cs, false, at(10), r), ids({2, 3, 4}));
}

TEST(choker, snubbed_peers_may_hold_the_optimistic_slot) {
  choker c;  // 3 regular + 1 optimistic; only snubbed peers are left for it
  std::vector<choke_candidate> cs{peer(1).down(50), peer(2).down(40), peer(3).down(30),
                                  peer(4).down(900).snub()};
  rng r(1);
  EXPECT_EQ(c.rechoke(cs, false, at(10), r), ids({1, 2, 3, 4}));
  EXPECT_EQ(c.optimistic(), connection_id{4});
}

TEST(choker, optimistic_unchoke_rotates_every_optimistic_interval) {
  choker c;  // rechoke 10 s, optimistic 30 s
  c.start(at(0));
  std::vector<choke_candidate> cs{peer(1).down(90), peer(2).down(80), peer(3).down(70)};
  for (std::uint32_t id = 10; id < 20; ++id)
    cs.push_back(peer(id).down(1));
  rng r(3);
  std::vector<connection_id> seen;
  for (int round = 0; round < 12; ++round) {
    const auto now = c.next_deadline();
    EXPECT_EQ(now, at(10 * (round + 1)));
    auto unchoked = c.rechoke(cs, false, now, r);
    ASSERT_TRUE(c.optimistic());
    EXPECT_TRUE(has(unchoked, c.optimistic()->value()));
    EXPECT_EQ(unchoked.size(), 4u);
    seen.push_back(*c.optimistic());
  }
  for (std::size_t i = 1; i < seen.size(); ++i) {
    if (i % 3 == 0) {
      EXPECT_NE(seen[i], seen[i - 1]) << "rechoke " << i << " should rotate";
    } else {
      EXPECT_EQ(seen[i], seen[i - 1]) << "rechoke " << i << " should keep the optimistic peer";
    }
  }
}

TEST(choker, optimistic_peer_that_loses_interest_or_leaves_is_replaced_at_once) {
  choker c(slots(1, 1));  // the only slot is the optimistic one
  std::vector<choke_candidate> cs{peer(1), peer(2), peer(3), peer(4)};
  rng r(5);
  c.rechoke(cs, false, at(10), r);
  const auto first = *c.optimistic();

  for (auto& p : cs) {
    if (p.conn == first) p.peer_interested = false;
  }
  auto unchoked = c.rechoke(cs, false, at(20), r);
  ASSERT_TRUE(c.optimistic());
  const auto second = *c.optimistic();
  EXPECT_NE(second, first);
  EXPECT_EQ(unchoked, std::vector<connection_id>{second});

  c.forget(second);
  std::erase_if(cs, [&](const choke_candidate& p) { return p.conn == second; });
  c.rechoke(cs, false, at(30), r);
  ASSERT_TRUE(c.optimistic());
  EXPECT_NE(*c.optimistic(), second);
  EXPECT_NE(*c.optimistic(), first);
}

TEST(choker, optimistic_peer_that_earns_a_regular_slot_frees_the_optimistic_one) {
  choker c;  // 3 regular + 1 optimistic
  std::vector<choke_candidate> cs{peer(1).down(50), peer(2).down(40), peer(3).down(30),
                                  peer(4).down(1), peer(5).down(1)};
  rng r(2);
  c.rechoke(cs, false, at(10), r);
  const auto lucky = *c.optimistic();
  for (auto& p : cs) {
    if (p.conn == lucky) p.download_rate = 100;  // it reciprocated
  }
  auto unchoked = c.rechoke(cs, false, at(20), r);
  ASSERT_TRUE(c.optimistic());
  const auto next = *c.optimistic();
  EXPECT_NE(next, lucky);
  // `lucky` holds a regular slot now and pushed peer 3 out of them.
  auto expected = ids({1, 2, lucky.value(), next.value()});
  EXPECT_EQ(unchoked, expected);
}

TEST(choker, rotation_hands_the_optimistic_slot_to_another_peer) {
  choker c(slots(1, 1));
  c.start(at(0));
  std::vector<choke_candidate> cs{peer(1), peer(2)};
  rng r(9);
  std::vector<connection_id> holders;
  for (int round = 0; round < 12; ++round) {
    c.rechoke(cs, false, c.next_deadline(), r);
    holders.push_back(*c.optimistic());
  }
  for (std::size_t i = 3; i < holders.size(); i += 3) {
    EXPECT_NE(holders[i], holders[i - 1]) << "rechoke " << i;
  }
}

TEST(choker, a_lone_optimistic_candidate_keeps_its_slot_across_rotations) {
  choker c(slots(2, 1));
  std::vector<choke_candidate> cs{peer(1).down(50), peer(2)};
  rng r(2);
  for (int t = 10; t <= 100; t += 10) {
    EXPECT_EQ(c.rechoke(cs, false, at(t), r), ids({1, 2}));
    EXPECT_EQ(c.optimistic(), connection_id{2});
  }
}

// Over many seeds, the first optimistic draw among one new and three old
// connections: the new one should come up new_peer_weight times as often as each
// old one.
double new_to_old_ratio(std::uint32_t weight) {
  choker_options o = slots(1, 1);
  o.new_peer_weight = weight;
  const std::vector<choke_candidate> cs{peer(1), peer(2).connected(at(95)), peer(3), peer(4)};
  int new_count = 0;
  int old_count = 0;
  for (std::uint64_t seed = 0; seed < 4000; ++seed) {
    choker c(o);
    rng r(seed);
    c.rechoke(cs, false, at(100), r);
    (*c.optimistic() == connection_id{2} ? new_count : old_count)++;
  }
  return new_count / (old_count / 3.0);
}

TEST(choker, new_connections_are_three_times_as_likely_to_be_optimistic) {
  EXPECT_NEAR(new_to_old_ratio(3), 3.0, 0.35);
  EXPECT_NEAR(new_to_old_ratio(1), 1.0, 0.15);
}

TEST(choker, a_connection_is_new_only_within_new_peer_window) {
  choker_options o = slots(1, 1);
  o.new_peer_weight = 1000;
  int picked_recent = 0;
  int picked_older = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    // At 100 s, peer 2 connected 29 s ago (new), peer 3 31 s ago (not new).
    std::vector<choke_candidate> cs{peer(2).connected(at(71)), peer(3).connected(at(69))};
    choker c(o);
    rng r(seed);
    c.rechoke(cs, false, at(100), r);
    (*c.optimistic() == connection_id{2} ? picked_recent : picked_older)++;
  }
  EXPECT_GT(picked_recent, 190);
}

TEST(choker, seed_fastest_upload_ranks_by_our_upload_rate) {
  choker_options o = slots(3, 0);
  o.seed_mode = seed_choking::fastest_upload;
  choker c(o);
  std::vector<choke_candidate> cs{peer(1).up(10).down(900), peer(2).up(40), peer(3).up(30),
                                  peer(4).up(20).down(800), peer(5).up(99).uninterested()};
  rng r(1);
  EXPECT_EQ(c.rechoke(cs, true, at(10), r), ids({2, 3, 4}));
}

TEST(choker, seeds_ignore_download_rate_and_snubbing) {
  choker_options o = slots(2, 0);
  o.seed_mode = seed_choking::fastest_upload;
  choker c(o);
  std::vector<choke_candidate> cs{peer(1).up(50).snub(), peer(2).up(40), peer(3).down(1000)};
  rng r(1);
  EXPECT_EQ(c.rechoke(cs, true, at(10), r), ids({1, 2}));
}

// Drives a seed's choker the way a peer would: applies each decision and lets
// every unchoked peer receive `bytes_per_round` until the next rechoke.
struct seed_loop {
  choker c;
  std::vector<choke_candidate> cs;
  std::uint64_t bytes_per_round;
  rng r{1};

  std::vector<connection_id> step() {
    const auto now = c.next_deadline();
    auto unchoked = c.rechoke(cs, true, now, r);
    for (auto& p : cs) {
      const bool now_unchoked = has(unchoked, p.conn.value());
      if (now_unchoked && !p.unchoked) {
        p.unchoked_since = now;
        p.bytes_sent_since_unchoke = 0;
      }
      p.unchoked = now_unchoked;
      if (p.unchoked) p.bytes_sent_since_unchoke += bytes_per_round;
    }
    return unchoked;
  }
};

choker_options round_robin(std::uint32_t upload_slots, std::uint32_t bytes, int min_seconds) {
  choker_options o = slots(upload_slots, 0);
  o.seed_mode = seed_choking::round_robin;
  o.round_robin_bytes = bytes;
  o.round_robin_min_time = seconds(min_seconds);
  return o;
}

TEST(choker, round_robin_holds_a_slot_until_the_time_threshold) {
  // Quota bytes are reached in the first round; the minimum time decides.
  seed_loop s{choker(round_robin(2, 1000, 60)), {peer(1), peer(2), peer(3), peer(4)}, 5000};
  s.c.start(at(0));
  // Unchoked at 10 s; the slot is held while less than 60 s have passed.
  for (int t = 10; t < 10 + 60; t += 10)
    EXPECT_EQ(s.step(), ids({1, 2})) << t;
  EXPECT_EQ(s.step(), ids({3, 4}));  // at 70 s
}

TEST(choker, round_robin_holds_a_slot_until_the_byte_threshold) {
  // 100 bytes per 10 s round against a 1000-byte quota: the time (10 s) is no
  // obstacle, the bytes take 10 rounds.
  seed_loop s{choker(round_robin(2, 1000, 10)), {peer(1), peer(2), peer(3), peer(4)}, 100};
  s.c.start(at(0));
  for (int round = 0; round < 10; ++round)
    EXPECT_EQ(s.step(), ids({1, 2})) << round;
  EXPECT_EQ(s.step(), ids({3, 4}));
}

TEST(choker, round_robin_yields_to_the_peer_that_waited_longest) {
  // One slot; peer 3 connected before peer 2. Whoever lost the slot last waits longest.
  seed_loop s{choker(round_robin(1, 1, 20)),
              {peer(1).connected(at(0)), peer(3).connected(at(1)), peer(2).connected(at(2))},
              100};
  s.c.start(at(10));
  std::vector<connection_id> order;
  for (int round = 0; round < 6; ++round)
    order.push_back(s.step().at(0));
  // A holder keeps the slot for 2 rounds (20 s), then yields.
  EXPECT_EQ(order,
            (std::vector<connection_id>{connection_id{1}, connection_id{1}, connection_id{3},
                                        connection_id{3}, connection_id{2}, connection_id{2}}));
  EXPECT_EQ(s.step(), ids({1}));
}

TEST(choker, round_robin_keeps_a_used_up_slot_when_nobody_waits) {
  seed_loop s{choker(round_robin(2, 1, 10)), {peer(1), peer(2), peer(3).uninterested()}, 100};
  s.c.start(at(0));
  for (int round = 0; round < 5; ++round)
    EXPECT_EQ(s.step(), ids({1, 2}));
}

TEST(choker, slot_counts_are_configurable) {
  choker c(slots(8, 2));
  std::vector<choke_candidate> cs;
  for (std::uint32_t id = 1; id <= 20; ++id)
    cs.push_back(peer(id).down(id * 10.0));
  rng r(4);
  auto unchoked = c.rechoke(cs, false, at(10), r);
  ASSERT_EQ(unchoked.size(), 8u);
  for (std::uint32_t id = 15; id <= 20; ++id)
    EXPECT_TRUE(has(unchoked, id)) << id;
  auto optimistic = c.optimistic_unchokes();
  ASSERT_EQ(optimistic.size(), 2u);
  EXPECT_NE(optimistic[0], optimistic[1]);
  for (auto o : optimistic) {
    EXPECT_LT(o.value(), 15u);
    EXPECT_TRUE(has(unchoked, o.value()));
  }
}

TEST(choker, a_free_rider_with_no_slots_unchokes_nobody) {
  choker c(slots(0, 0));
  std::vector<choke_candidate> cs;
  for (std::uint32_t id = 1; id <= 6; ++id)
    cs.push_back(peer(id).down(id * 10.0));
  rng r(1);
  for (int t = 10; t <= 60; t += 10) {
    EXPECT_TRUE(c.rechoke(cs, false, at(t), r).empty());
    EXPECT_TRUE(c.rechoke(cs, true, at(t), r).empty());
  }
  EXPECT_FALSE(c.optimistic());
}

TEST(choker, is_optimistic_names_exactly_the_optimistic_unchokes) {
  choker c(slots(3, 1));
  std::vector<choke_candidate> cs;
  for (std::uint32_t id = 1; id <= 6; ++id)
    cs.push_back(peer(id).down(id * 10.0));
  rng r(2);
  const auto unchoked = c.rechoke(cs, false, at(10), r);
  const auto o = c.optimistic();
  ASSERT_TRUE(o);
  for (auto id : unchoked)
    EXPECT_EQ(c.is_optimistic(id), id == *o) << id.value();
  c.forget(*o);
  EXPECT_FALSE(c.is_optimistic(*o));
}

TEST(choker, same_seed_gives_the_same_decisions) {
  std::vector<choke_candidate> cs;
  for (std::uint32_t id = 1; id <= 30; ++id) {
    cs.push_back(peer(id).down(id % 4).connected(at(static_cast<int>(id * 7))));
  }
  auto run = [&](std::uint64_t seed) {
    choker c;
    c.start(at(0));
    rng r(seed);
    std::vector<std::vector<connection_id>> decisions;
    for (int round = 0; round < 30; ++round) {
      decisions.push_back(c.rechoke(cs, false, c.next_deadline(), r));
    }
    return decisions;
  };
  EXPECT_EQ(run(42), run(42));
  EXPECT_NE(run(42), run(43));
}

TEST(choker, timer_follows_the_rechoke_interval) {
  choker_options o;
  o.rechoke_interval = seconds(15);
  o.optimistic_interval = seconds(45);
  choker c(o);
  EXPECT_EQ(c.next_deadline(), never);
  c.start(at(100));
  EXPECT_EQ(c.next_deadline(), at(115));
  rng r(1);
  c.rechoke({}, false, at(117), r);
  EXPECT_EQ(c.next_deadline(), at(132));
}

TEST(choker, peers_that_sent_us_nothing_get_no_regular_slot) {
  choker c;  // 3 regular + 1 optimistic; only peer 5 uploaded to us
  std::vector<choke_candidate> cs{peer(1), peer(2), peer(3), peer(4), peer(5).down(30)};
  rng r(1);
  const auto unchoked = c.rechoke(cs, false, at(10), r);
  // Every slot is used, but only 5 by rate: the others rotate like optimistic ones.
  ASSERT_EQ(unchoked.size(), 4u);
  EXPECT_TRUE(has(unchoked, 5));
  EXPECT_FALSE(c.is_optimistic(connection_id{5}));
  EXPECT_EQ(c.optimistic_unchokes().size(), 3u);
  for (auto id : unchoked)
    EXPECT_EQ(c.is_optimistic(id), id != connection_id{5}) << id.value();
}

TEST(choker, unearned_slots_go_back_to_peers_that_start_uploading) {
  choker c;
  std::vector<choke_candidate> cs{peer(1), peer(2), peer(3), peer(4), peer(5), peer(6)};
  rng r(2);
  c.rechoke(cs, false, at(10), r);
  EXPECT_EQ(c.optimistic_unchokes().size(), 4u);
  // Three peers now upload to us: they take regular slots; one random slot stays.
  cs[3].download_rate = 10;
  cs[4].download_rate = 20;
  cs[5].download_rate = 30;
  const auto unchoked = c.rechoke(cs, false, at(20), r);
  ASSERT_EQ(unchoked.size(), 4u);
  EXPECT_TRUE(has(unchoked, 4) && has(unchoked, 5) && has(unchoked, 6));
  ASSERT_EQ(c.optimistic_unchokes().size(), 1u);
  EXPECT_TRUE(has(ids({1, 2, 3}), c.optimistic()->value()));
}

TEST(choker, reselect_refills_a_slot_freed_by_lost_interest_without_rotating) {
  choker c;  // 3 regular + 1 optimistic
  c.start(at(0));
  std::vector<choke_candidate> cs{peer(1).down(90), peer(2).down(80), peer(3).down(70),
                                  peer(4).down(60).uninterested(), peer(5).down(1)};
  rng r(5);
  EXPECT_EQ(c.rechoke(cs, false, at(10), r), ids({1, 2, 3, 5}));
  EXPECT_EQ(c.optimistic(), connection_id{5});
  // Peer 4 wants data, but its rate earns no slot: nothing changes.
  cs[3].peer_interested = true;
  EXPECT_EQ(c.reselect(cs, false, at(11), r), ids({1, 2, 3, 5}));
  // Peer 2 loses interest: the next by rate (4) takes its regular slot at once.
  cs[1].peer_interested = false;
  EXPECT_EQ(c.reselect(cs, false, at(12), r), ids({1, 3, 4, 5}));
  // Peer 2 wants data again: its rate wins its slot back from the slowest.
  cs[1].peer_interested = true;
  EXPECT_EQ(c.reselect(cs, false, at(14), r), ids({1, 2, 3, 5}));
  // Neither the optimistic slot nor the timer moved, even past the slot's expiry.
  EXPECT_EQ(c.next_deadline(), at(20));
  EXPECT_EQ(c.reselect(cs, false, at(45), r), ids({1, 2, 3, 5}));
  EXPECT_EQ(c.optimistic(), connection_id{5});
  // The next real rechoke past the expiry rotates it (to 4, the only other).
  EXPECT_EQ(c.rechoke(cs, false, at(50), r), ids({1, 2, 3, 4}));
}

TEST(choker, automatic_slots_follow_the_upload_capacity_like_mainline) {
  EXPECT_EQ(automatic_upload_slots(8 * 1024), 2u);
  EXPECT_EQ(automatic_upload_slots(14 * 1024), 3u);
  EXPECT_EQ(automatic_upload_slots(41 * 1024), 4u);
  EXPECT_EQ(automatic_upload_slots(60 * 1024), 6u);     // sqrt(36)
  EXPECT_EQ(automatic_upload_slots(2500 * 1024), 38u);  // 20 Mbit/s: sqrt(1500)
  choker_options o;
  o.slots = slots_mode::automatic;
  o.upload_capacity = 625000;  // 5000 kbit/s: sqrt(0.6 x 610 KiB/s) = 19
  choker c(o);
  EXPECT_EQ(c.upload_slots(), 19u);
  std::vector<choke_candidate> cs;
  for (std::uint32_t id = 1; id <= 30; ++id)
    cs.push_back(peer(id).down(id * 10.0));
  rng r(1);
  EXPECT_EQ(c.rechoke(cs, false, at(10), r).size(), 19u);
  o.upload_capacity = 0;  // no capacity known: the fixed count holds
  EXPECT_EQ(choker(o).upload_slots(), 4u);
}

TEST(choker, rejects_more_optimistic_slots_than_upload_slots) {
  EXPECT_THROW(choker(slots(2, 3)), std::invalid_argument);
  choker_options o;
  o.rechoke_interval = seconds(0);
  EXPECT_THROW(choker{o}, std::invalid_argument);
}

}  // namespace
}  // namespace swarmsim::protocol
