#include "protocol/tracker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace swarmsim::protocol {
namespace {

using std::chrono::seconds;

time_point at(int s) {
  return time_origin + seconds(s);
}

sha1_hash torrent(std::uint8_t n) {
  sha1_hash h{};
  h[0] = 0xab;
  h[19] = n;
  return h;
}

wire_peer_id pid(std::uint32_t n) {
  wire_peer_id id{};
  id[0] = '-';
  id[16] = static_cast<std::uint8_t>(n >> 24);
  id[17] = static_cast<std::uint8_t>(n >> 16);
  id[18] = static_cast<std::uint8_t>(n >> 8);
  id[19] = static_cast<std::uint8_t>(n);
  return id;
}

// An announce in one line: ask(1, 7).left(0).event(announce_event::completed).want(5).
struct ask : announce_request {
  ask(std::uint8_t t, std::uint32_t p) {
    info_hash = torrent(t);
    peer = pid(p);
    address = {0x0a000000u + p, 6881};
    left = 1000;
    event = announce_event::started;
  }
  ask& with_left(std::uint64_t l) {
    left = l;
    return *this;
  }
  ask& with(announce_event e) {
    event = e;
    return *this;
  }
  ask& want(std::uint32_t n) {
    numwant = n;
    return *this;
  }
};

// Fills torrent `t` with peers first..last (leechers), announced at `now`.
void populate(tracker& tr, std::uint8_t t, std::uint32_t first, std::uint32_t last,
              time_point now = at(0)) {
  for (auto p = first; p <= last; ++p)
    tr.announce(ask(t, p).want(0), now);
}

std::set<wire_peer_id> distinct(const std::vector<peer_entry>& peers) {
  std::set<wire_peer_id> out;
  for (const auto& p : peers)
    out.insert(p.peer);
  return out;
}

TEST(tracker, numwant_smaller_than_the_swarm_gives_numwant_distinct_peers) {
  tracker tr({}, 1);
  populate(tr, 1, 1, 20);
  auto r = tr.announce(ask(1, 21).want(5), at(1));
  EXPECT_EQ(r.peers.size(), 5u);
  EXPECT_EQ(distinct(r.peers).size(), 5u);
  EXPECT_FALSE(distinct(r.peers).contains(pid(21)));
}

TEST(tracker, numwant_larger_than_the_swarm_gives_everyone_else) {
  tracker tr({}, 1);
  populate(tr, 1, 1, 5);
  auto r = tr.announce(ask(1, 6).want(50), at(1));
  EXPECT_EQ(distinct(r.peers), (std::set<wire_peer_id>{pid(1), pid(2), pid(3), pid(4), pid(5)}));
  EXPECT_EQ(r.peers.size(), 5u);
}

TEST(tracker, listed_peers_carry_their_announced_address) {
  tracker tr({}, 1);
  populate(tr, 1, 1, 3);
  for (const auto& p : tr.announce(ask(1, 9), at(1)).peers) {
    const auto n = p.peer[19];
    EXPECT_EQ(p.address, (endpoint{0x0a000000u + n, 6881}));
  }
}

TEST(tracker, the_asker_is_never_listed_and_no_peer_twice) {
  tracker tr({}, 3);
  populate(tr, 1, 1, 10);
  for (int i = 0; i < 200; ++i) {
    const std::uint32_t asker = 1 + i % 10;
    auto r = tr.announce(ask(1, asker).with(announce_event::none).want(100), at(10 + i));
    EXPECT_EQ(r.peers.size(), 9u);
    EXPECT_EQ(distinct(r.peers).size(), 9u);
    EXPECT_FALSE(distinct(r.peers).contains(pid(asker)));
  }
}

TEST(tracker, numwant_defaults_and_is_clamped) {
  tracker_options o;
  o.default_numwant = 30;
  o.max_numwant = 80;
  tracker tr(o, 1);
  populate(tr, 1, 1, 300);
  ask a(1, 1000);
  a.numwant.reset();
  EXPECT_EQ(tr.announce(a, at(1)).peers.size(), 30u);
  EXPECT_EQ(tr.announce(ask(1, 1000).want(1000), at(2)).peers.size(), 80u);
  EXPECT_TRUE(tr.announce(ask(1, 1000).want(0), at(3)).peers.empty());
}

TEST(tracker, response_carries_the_intervals) {
  tracker_options o;
  o.interval = seconds(123);
  o.min_interval = seconds(45);
  tracker tr(o, 1);
  auto r = tr.announce(ask(1, 1), at(0));
  EXPECT_FALSE(r.failure);
  EXPECT_EQ(r.interval, seconds(123));
  EXPECT_EQ(r.min_interval, seconds(45));
}

TEST(tracker, counts_follow_started_completed_stopped) {
  tracker tr({}, 1);
  tr.announce(ask(1, 1), at(0));
  tr.announce(ask(1, 2), at(0));
  auto r = tr.announce(ask(1, 3).with_left(0), at(0));  // a seed joins
  EXPECT_EQ(r.complete, 1u);
  EXPECT_EQ(r.incomplete, 2u);

  r = tr.announce(ask(1, 1).with_left(0).with(announce_event::completed), at(5));
  EXPECT_EQ(r.complete, 2u);
  EXPECT_EQ(r.incomplete, 1u);

  r = tr.announce(ask(1, 2).with(announce_event::stopped), at(6));
  EXPECT_EQ(r.complete, 2u);
  EXPECT_EQ(r.incomplete, 0u);
  EXPECT_TRUE(r.peers.empty());

  r = tr.announce(ask(1, 3).with_left(0).with(announce_event::stopped), at(7));
  EXPECT_EQ(r.complete, 1u);
  EXPECT_EQ(r.incomplete, 0u);

  auto s = tr.scrape(torrent(1));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->complete, 1u);
  EXPECT_EQ(s->incomplete, 0u);
  EXPECT_EQ(s->downloaded, 1u);
  EXPECT_EQ(tr.peers(torrent(1)).size(), 1u);
}

TEST(tracker, stopped_peer_is_no_longer_handed_out) {
  tracker tr({}, 1);
  populate(tr, 1, 1, 3);
  tr.announce(ask(1, 2).with(announce_event::stopped), at(1));
  auto r = tr.announce(ask(1, 9).want(50), at(2));
  EXPECT_EQ(distinct(r.peers), (std::set<wire_peer_id>{pid(1), pid(3)}));
}

TEST(tracker, downloaded_counts_each_completing_peer_once) {
  tracker tr({}, 1);
  populate(tr, 1, 1, 3);
  auto done = [](std::uint32_t p) {
    return ask(1, p).with_left(0).with(announce_event::completed);
  };
  tr.announce(done(1), at(10));
  tr.announce(done(1), at(11));  // a repeated "completed"
  tr.announce(ask(1, 1).with_left(0).with(announce_event::none), at(12));
  tr.announce(done(2), at(13));
  tr.announce(ask(1, 4).with_left(0), at(14));  // a seed from the start: no download
  auto s = tr.scrape(torrent(1));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->downloaded, 2u);
  EXPECT_EQ(s->complete, 3u);
  EXPECT_EQ(s->incomplete, 1u);
}

TEST(tracker, a_peer_is_listed_once_however_often_it_announces) {
  tracker tr({}, 1);
  for (int i = 0; i < 5; ++i)
    tr.announce(ask(1, 1).with(announce_event::none), at(i));
  tr.announce(ask(1, 2), at(6));
  EXPECT_EQ(tr.peers(torrent(1)).size(), 2u);
  auto s = tr.scrape(torrent(1));
  EXPECT_EQ(s->incomplete, 2u);
}

TEST(tracker, peers_expire_after_missing_re_announces_and_not_before) {
  tracker_options o;
  o.expire_after = seconds(900);
  tracker tr(o, 1);
  EXPECT_FALSE(tr.next_deadline());
  tr.announce(ask(1, 1), at(0));
  tr.announce(ask(1, 2), at(0));
  tr.announce(ask(1, 1).with(announce_event::none), at(600));  // 1 keeps announcing

  ASSERT_TRUE(tr.next_deadline());
  EXPECT_EQ(*tr.next_deadline(), at(900));
  EXPECT_EQ(tr.on_deadline(at(900) - std::chrono::nanoseconds(1)), 0u);
  EXPECT_EQ(tr.peers(torrent(1)).size(), 2u);
  EXPECT_EQ(tr.on_deadline(at(900)), 1u);
  auto left = tr.peers(torrent(1));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].peer, pid(1));
  EXPECT_EQ(left[0].last_announce, at(600));

  EXPECT_EQ(*tr.next_deadline(), at(1500));
  EXPECT_EQ(tr.on_deadline(at(1499)), 0u);
  EXPECT_EQ(tr.on_deadline(at(1500)), 1u);
  EXPECT_FALSE(tr.next_deadline());
  EXPECT_FALSE(tr.scrape(torrent(1)));  // rule 8: a torrent without peers is forgotten
}

TEST(tracker, expiry_keeps_the_counts_right) {
  tracker tr({}, 1);
  tr.announce(ask(1, 1).with_left(0), at(0));
  tr.announce(ask(1, 2), at(0));
  tr.announce(ask(1, 3), at(500));
  EXPECT_EQ(tr.on_deadline(at(1000)), 2u);
  auto s = tr.scrape(torrent(1));
  EXPECT_EQ(s->complete, 0u);
  EXPECT_EQ(s->incomplete, 1u);
}

TEST(tracker, torrents_are_kept_apart) {
  tracker tr({}, 1);
  populate(tr, 1, 1, 5);
  populate(tr, 2, 101, 103);
  tr.announce(ask(2, 104).with_left(0), at(0));
  auto r = tr.announce(ask(2, 105).want(50), at(1));
  EXPECT_EQ(distinct(r.peers), (std::set<wire_peer_id>{pid(101), pid(102), pid(103), pid(104)}));
  EXPECT_EQ(r.complete, 1u);
  EXPECT_EQ(r.incomplete, 4u);
  EXPECT_EQ(tr.scrape(torrent(1))->incomplete, 5u);
  EXPECT_EQ(tr.scrape(torrent(1))->complete, 0u);
  EXPECT_FALSE(tr.scrape(torrent(3)));
  EXPECT_EQ(tr.torrents(), (std::vector<sha1_hash>{torrent(1), torrent(2)}));
}

TEST(tracker, a_stopped_announce_for_an_unknown_torrent_creates_nothing) {
  tracker tr({}, 1);
  auto r = tr.announce(ask(7, 1).with(announce_event::stopped), at(0));
  EXPECT_TRUE(r.peers.empty());
  EXPECT_FALSE(tr.scrape(torrent(7)));
  EXPECT_TRUE(tr.torrents().empty());
}

TEST(tracker, random_selection_covers_everyone_evenly) {
  tracker tr({}, 11);
  populate(tr, 1, 1, 100);
  std::map<wire_peer_id, int> hits;
  constexpr int rounds = 990;
  for (int i = 0; i < rounds; ++i) {
    for (const auto& p : tr.announce(ask(1, 1).want(10), at(1 + i)).peers)
      ++hits[p.peer];
  }
  EXPECT_EQ(hits.size(), 99u);  // everyone but the asker
  EXPECT_FALSE(hits.contains(pid(1)));
  // Each of the other 99 is expected rounds * 10 / 99 = 100 times.
  for (const auto& [peer, n] : hits) {
    EXPECT_GT(n, 60);
    EXPECT_LT(n, 140);
  }
}

TEST(tracker, same_seed_gives_the_same_peer_lists) {
  auto run = [](std::uint64_t seed) {
    tracker tr({}, seed);
    populate(tr, 1, 1, 60);
    std::vector<std::vector<peer_entry>> lists;
    for (std::uint32_t p = 61; p < 80; ++p)
      lists.push_back(tr.announce(ask(1, p).want(8), at(1)).peers);
    return lists;
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

TEST(tracker, moves_keep_the_state) {
  tracker a({}, 1);
  populate(a, 1, 1, 4);
  tracker b(std::move(a));
  EXPECT_EQ(b.peers(torrent(1)).size(), 4u);
  tracker c({}, 2);
  c = std::move(b);
  EXPECT_EQ(c.announce(ask(1, 9), at(1)).peers.size(), 4u);
}

}  // namespace
}  // namespace swarmsim::protocol
