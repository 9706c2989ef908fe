// protocol::peer against hostile remotes: blocks nobody asked for, slot holders
// that never ask, one host opening many connections, a remote proven to send
// corrupt data (peer.hpp invariants 5, 11 and 12; choker rule 10).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "protocol/peer.hpp"

namespace swarmsim::protocol {
namespace {

using std::chrono::seconds;

// 6 pieces of 32 KiB (2 blocks each), the last one short.
const torrent_geometry small_torrent(5 * 32768 + 20480, 32768, 16384);
const time_point t0{};

wire_peer_id remote_id(std::uint8_t n) {
  wire_peer_id id{};
  id.fill(n);
  return id;
}

std::vector<peer_action> drain(peer& p) {
  std::vector<peer_action> acts;
  p.drain_actions(acts);
  return acts;
}

std::vector<disconnect_reason> disconnects(const std::vector<peer_action>& acts) {
  std::vector<disconnect_reason> out;
  for (const auto& a : acts)
    if (const auto* d = std::get_if<action::disconnect>(&a)) out.push_back(d->reason);
  return out;
}

std::vector<msg::request> requests(const std::vector<peer_action>& acts) {
  std::vector<msg::request> out;
  for (const auto& a : acts)
    if (const auto* s = std::get_if<action::send>(&a))
      if (const auto* r = std::get_if<msg::request>(&s->msg)) out.push_back(*r);
  return out;
}

// An active connection from `n` (address n, handshake with remote_id(n)).
connection_id join(peer& p, std::uint8_t n, time_point t, bool outgoing = false) {
  const auto c = p.on_connected(endpoint{n, 1}, outgoing, t);
  EXPECT_TRUE(c);
  p.on_message(*c, msg::handshake{sha1_hash{}, remote_id(n), {}}, t);
  return *c;
}

TEST(peer_hostile, a_block_nobody_asked_for_is_wasted_and_changes_nothing) {
  peer p(small_torrent, sha1_hash{}, remote_id(1), endpoint{1, 1}, {}, 1);
  p.start(t0);
  const auto c = join(p, 2, t0);
  p.on_message(c, msg::bitfield{bitfield(small_torrent.num_pieces(), true)}, t0);
  drain(p);
  const msg::piece unasked{piece_index{0}, 0, 16384, {}};
  EXPECT_FALSE(p.wants_block(c, unasked));
  p.on_message(c, unasked, t0);
  EXPECT_TRUE(p.find(c)) << "not a protocol error: a late block is legal";
  EXPECT_EQ(p.stats().wasted, 16384u);
  EXPECT_EQ(p.stats().downloaded, 0u);
  EXPECT_FALSE(p.picker().is_received(block_ref{piece_index{0}, block_index{0}}));
  // Once asked for, the same block is taken.
  p.on_message(c, msg::unchoke{}, t0);
  const auto asked = requests(drain(p));
  ASSERT_FALSE(asked.empty());
  const msg::piece answer{asked[0].index, asked[0].begin, asked[0].length, {}};
  EXPECT_TRUE(p.wants_block(c, answer));
  p.on_message(c, answer, t0);
  EXPECT_EQ(p.stats().downloaded, asked[0].length);
  EXPECT_FALSE(p.wants_block(c, answer)) << "received already";
}

TEST(peer_hostile, a_block_asked_of_another_connection_is_not_taken_from_this_one) {
  peer p(small_torrent, sha1_hash{}, remote_id(1), endpoint{1, 1}, {}, 1);
  p.start(t0);
  const auto honest = join(p, 2, t0);
  const auto other = join(p, 3, t0);
  for (const auto c : {honest, other})
    p.on_message(c, msg::bitfield{bitfield(small_torrent.num_pieces(), true)}, t0);
  p.on_message(honest, msg::unchoke{}, t0);
  const auto asked = requests(drain(p));
  ASSERT_FALSE(asked.empty());
  const msg::piece spoof{asked[0].index, asked[0].begin, asked[0].length, {}};
  EXPECT_FALSE(p.wants_block(other, spoof));
  p.on_message(other, spoof, t0);
  EXPECT_EQ(p.stats().downloaded, 0u);
  EXPECT_TRUE(p.wants_block(honest, spoof));
}

// A seed with one upload slot and two interested remotes.
struct seed_with_one_slot {
  seed_with_one_slot() : p(small_torrent, sha1_hash{}, remote_id(1), endpoint{1, 1}, opts(), 1) {
    p.set_have_all();
    p.start(t0);
    idle = join(p, 2, t0);
    active = join(p, 3, t0);
    p.on_message(idle, msg::interested{}, t0);
    p.on_message(active, msg::interested{}, t0);
    drain(p);
  }
  static peer_options opts() {
    peer_options o;
    o.choker.upload_slots = 1;
    o.choker.optimistic_slots = 0;
    o.max_connections = 3;
    return o;
  }
  bool unchoked(connection_id c) const { return p.find(c) && !p.find(c)->am_choking; }
  peer p;
  connection_id idle{}, active{};
};

TEST(peer_hostile, a_seed_slot_holder_that_asks_for_nothing_yields_it_at_the_rechoke) {
  seed_with_one_slot x;
  ASSERT_TRUE(x.unchoked(x.idle)) << "first come, first served";
  ASSERT_FALSE(x.unchoked(x.active));
  const auto rechoke = t0 + x.p.options().choker.rechoke_interval;
  x.p.on_deadline(rechoke);
  EXPECT_FALSE(x.unchoked(x.idle));
  EXPECT_TRUE(x.unchoked(x.active));
  // The active remote asks and keeps its slot; the demoted one waits behind it
  // even though it has waited longer by the round-robin clock.
  x.p.on_message(x.active, msg::request{piece_index{0}, 0, 16384}, rechoke + seconds(1));
  x.p.on_deadline(rechoke + x.p.options().choker.rechoke_interval);
  EXPECT_TRUE(x.unchoked(x.active));
  EXPECT_FALSE(x.unchoked(x.idle));
  // Demoted is not banned: with nobody else interested it gets the slot back.
  x.p.on_message(x.active, msg::not_interested{}, rechoke + seconds(12));
  EXPECT_TRUE(x.unchoked(x.idle));
}

TEST(peer_hostile, a_full_seed_makes_room_by_closing_a_demoted_connection_first) {
  seed_with_one_slot x;
  const auto rechoke = t0 + x.p.options().choker.rechoke_interval;
  x.p.on_deadline(rechoke);                  // the idle remote is demoted
  const auto third = join(x.p, 4, rechoke);  // neither side interested
  (void)third;
  drain(x.p);
  const auto later = rechoke + x.p.options().choker.rechoke_interval;
  ASSERT_TRUE(x.p.can_accept(later));
  ASSERT_TRUE(x.p.on_connected(endpoint{5, 1}, false, later));
  const auto acts = drain(x.p);
  EXPECT_EQ(disconnects(acts), std::vector{disconnect_reason::make_room});
  EXPECT_EQ(x.p.find(x.idle), nullptr);
  EXPECT_TRUE(x.p.find(third));
}

TEST(peer_hostile, one_address_gets_at_most_max_connections_per_address_incoming) {
  peer_options o;
  o.max_connections_per_address = 2;
  peer p(small_torrent, sha1_hash{}, remote_id(1), endpoint{1, 1}, o, 1);
  p.start(t0);
  EXPECT_TRUE(p.on_connected(endpoint{7, 1000}, false, t0));
  EXPECT_TRUE(p.on_connected(endpoint{7, 1001}, false, t0));
  EXPECT_FALSE(p.on_connected(endpoint{7, 1002}, false, t0));
  EXPECT_TRUE(p.on_connected(endpoint{8, 1000}, false, t0)) << "another address";
  o.max_connections_per_address = 0;
  peer any(small_torrent, sha1_hash{}, remote_id(1), endpoint{1, 1}, o, 1);
  any.start(t0);
  for (std::uint16_t port = 1000; port < 1010; ++port)
    EXPECT_TRUE(any.on_connected(endpoint{7, port}, false, t0));
}

TEST(peer_hostile, a_remote_proven_to_corrupt_a_piece_is_banned_by_address_and_peer_id) {
  peer_options o;
  o.check = piece_check::by_driver;
  o.max_hash_failures = 0;
  peer p(small_torrent, sha1_hash{}, remote_id(1), endpoint{1, 1}, o, 1);
  p.start(t0);
  const auto c = join(p, 2, t0, true);
  p.on_message(c, msg::bitfield{bitfield(small_torrent.num_pieces(), true)}, t0);
  p.on_message(c, msg::unchoke{}, t0);
  // Answer requests until a piece is complete; it fails its check.
  std::optional<action::check_piece> check;
  for (int round = 0; round < 10 && !check; ++round) {
    for (const auto& a : drain(p)) {
      if (const auto* k = std::get_if<action::check_piece>(&a)) check = *k;
      if (const auto* s = std::get_if<action::send>(&a))
        if (const auto* r = std::get_if<msg::request>(&s->msg))
          p.on_message(c, msg::piece{r->index, r->begin, r->length, {}}, t0);
    }
  }
  ASSERT_TRUE(check);
  EXPECT_FALSE(check->block_digests) << "one sender: no digests needed";
  drain(p);
  p.on_piece_checked(check->piece, piece_verdict::failed, t0);
  EXPECT_EQ(disconnects(drain(p)), std::vector{disconnect_reason::hash_failures});
  EXPECT_EQ(p.find(c), nullptr);
  // Not dialled again, and refused under its peer id from another address.
  announce_response r;
  r.peers.push_back(peer_entry{remote_id(2), endpoint{2, 1}});
  p.on_tracker_response(r, t0 + seconds(3600));
  const auto acts = drain(p);
  EXPECT_FALSE(std::any_of(acts.begin(), acts.end(), [](const peer_action& a) {
    return std::holds_alternative<action::connect>(a);
  }));
  const auto again = p.on_connected(endpoint{9, 5000}, false, t0 + seconds(3600));
  ASSERT_TRUE(again);
  p.on_message(*again, msg::handshake{sha1_hash{}, remote_id(2), {}}, t0 + seconds(3600));
  EXPECT_EQ(disconnects(drain(p)), std::vector{disconnect_reason::banned});
}

}  // namespace
}  // namespace swarmsim::protocol
