// The tracker's bounds on what strangers can make it keep (rules 7-10 of
// tracker.hpp): empty torrents are forgotten, the number of torrents is capped,
// a whitelist refuses the rest, and re-announces do not grow the expiry heap.

#include <gtest/gtest.h>

#include <vector>

#include "protocol/tracker.hpp"

namespace swarmsim::protocol {
namespace {

using std::chrono::seconds;

time_point at(int s) {
  return time_origin + seconds(s);
}

// Distinct hashes for n up to 2^32, as an attacker would make them.
sha1_hash torrent(std::uint32_t n) {
  sha1_hash h{};
  h[0] = 0xcd;
  h[16] = static_cast<std::uint8_t>(n >> 24);
  h[17] = static_cast<std::uint8_t>(n >> 16);
  h[18] = static_cast<std::uint8_t>(n >> 8);
  h[19] = static_cast<std::uint8_t>(n);
  return h;
}

wire_peer_id pid(std::uint32_t n) {
  wire_peer_id id{};
  id[0] = '-';
  id[18] = static_cast<std::uint8_t>(n >> 8);
  id[19] = static_cast<std::uint8_t>(n);
  return id;
}

announce_request ask(std::uint32_t t, std::uint32_t p, announce_event e = announce_event::started) {
  announce_request r;
  r.info_hash = torrent(t);
  r.peer = pid(p);
  r.address = {0x0a000000u + p, 6881};
  r.left = 1000;
  r.event = e;
  r.numwant = 0;
  return r;
}

TEST(tracker_limits, a_torrent_whose_last_peer_stops_is_forgotten) {
  tracker tr({}, 1);
  tr.announce(ask(1, 1), at(0));
  tr.announce(ask(1, 2), at(0));
  tr.announce(ask(1, 1, announce_event::stopped), at(1));
  EXPECT_EQ(tr.torrent_count(), 1u);
  const auto last = tr.announce(ask(1, 2, announce_event::stopped), at(2));
  EXPECT_EQ(last.complete + last.incomplete, 0u);
  EXPECT_EQ(tr.torrent_count(), 0u);
  EXPECT_FALSE(tr.scrape(torrent(1)));
  EXPECT_EQ(tr.next_deadline(), std::nullopt);
  tr.check_invariants();
}

TEST(tracker_limits, a_torrent_whose_last_peer_expires_is_forgotten) {
  tracker_options options;
  options.expire_after = seconds(100);
  tracker tr(options, 1);
  tr.announce(ask(1, 1), at(0));
  tr.announce(ask(2, 1), at(50));
  EXPECT_EQ(tr.on_deadline(at(120)), 1u);
  EXPECT_EQ(tr.torrents(), std::vector<sha1_hash>{torrent(2)});
  EXPECT_EQ(tr.on_deadline(at(150)), 1u);
  EXPECT_EQ(tr.torrent_count(), 0u);
  tr.check_invariants();
}

TEST(tracker_limits, many_distinct_torrents_leave_nothing_behind) {
  tracker tr({}, 1);
  constexpr std::uint32_t n = 20'000;
  for (std::uint32_t t = 0; t < n; ++t) {
    tr.announce(ask(t, 1), at(0));
    tr.announce(ask(t, 1, announce_event::stopped), at(0));
  }
  EXPECT_EQ(tr.torrent_count(), 0u);
  EXPECT_EQ(tr.peer_count(), 0u);
  tr.check_invariants();  // rule 7: the expiry heap did not keep 20 000 entries
}

TEST(tracker_limits, past_the_torrent_limit_new_torrents_are_refused) {
  tracker_options options;
  options.max_torrents = 3;
  tracker tr(options, 1);
  for (std::uint32_t t = 0; t < 3; ++t)
    EXPECT_FALSE(tr.announce(ask(t, 1), at(0)).failure);
  const auto refused = tr.announce(ask(3, 1), at(0));
  EXPECT_EQ(refused.refusal, announce_refusal::torrent_limit);
  EXPECT_EQ(refused.failure, std::string(to_string(announce_refusal::torrent_limit)));
  EXPECT_FALSE(tr.scrape(torrent(3)));
  // Known torrents still take new peers; once one empties, a new torrent fits.
  EXPECT_FALSE(tr.announce(ask(0, 2), at(1)).failure);
  tr.announce(ask(1, 1, announce_event::stopped), at(2));
  EXPECT_FALSE(tr.announce(ask(3, 1), at(3)).failure);
  EXPECT_EQ(tr.torrent_count(), 3u);
  tr.check_invariants();
}

TEST(tracker_limits, a_whitelist_refuses_every_other_torrent) {
  tracker_options options;
  options.allowed_torrents = std::vector<sha1_hash>{torrent(7), torrent(2)};
  tracker tr(options, 1);
  EXPECT_FALSE(tr.announce(ask(2, 1), at(0)).failure);
  EXPECT_FALSE(tr.announce(ask(7, 1), at(0)).failure);
  for (const auto e : {announce_event::started, announce_event::none, announce_event::stopped}) {
    const auto r = tr.announce(ask(3, 1, e), at(0));
    EXPECT_EQ(r.refusal, announce_refusal::unlisted_torrent);
    EXPECT_TRUE(r.failure);
  }
  EXPECT_EQ(tr.torrents(), (std::vector<sha1_hash>{torrent(2), torrent(7)}));
  tr.check_invariants();
}

TEST(tracker_limits, re_announces_do_not_grow_the_expiry_heap) {
  tracker_options options;
  options.expire_after = seconds(30);
  tracker tr(options, 1);
  for (int i = 0; i < 50'000; ++i)
    tr.announce(ask(1, static_cast<std::uint32_t>(i % 4), announce_event::none), at(i / 1000));
  tr.check_invariants();  // rule 7: at most 2 entries per peer plus a constant
  EXPECT_EQ(tr.next_deadline(), at(49) + seconds(30));
  EXPECT_EQ(tr.on_deadline(at(79)), 4u);
  EXPECT_EQ(tr.torrent_count(), 0u);
}

TEST(tracker_limits, torrents_lists_the_first_ones_by_hash) {
  tracker tr({}, 1);
  for (std::uint32_t t = 10; t > 0; --t)
    tr.announce(ask(t, 1), at(0));
  EXPECT_EQ(tr.torrents(3), (std::vector<sha1_hash>{torrent(1), torrent(2), torrent(3)}));
  EXPECT_EQ(tr.torrents().size(), 10u);
  EXPECT_EQ(tr.peer_count(), 10u);
}

}  // namespace
}  // namespace swarmsim::protocol
