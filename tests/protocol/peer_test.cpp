#include "protocol/peer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "peer_pipe.hpp"

namespace swarmsim::protocol {
namespace {

using testing::peer_pipe;

// 6 pieces of 32 KiB (2 blocks each), the last one short: 20 KiB = 2 blocks (16 + 4 KiB).
const torrent_geometry small_torrent(5 * 32768 + 20480, 32768, 16384);

std::vector<std::string> messages_between(const peer_pipe& pipe, std::size_t from, std::size_t to,
                                          std::size_t limit) {
  std::vector<std::string> out;
  for (const auto& r : pipe.log())
    if (r.from == from && r.to == to && out.size() < limit) out.push_back(r.what);
  return out;
}

std::vector<disconnect_reason> disconnect_reasons(const std::vector<peer_action>& acts) {
  std::vector<disconnect_reason> out;
  for (const auto& a : acts)
    if (const auto* d = std::get_if<action::disconnect>(&a)) out.push_back(d->reason);
  return out;
}

TEST(peer, seed_and_leecher_exchange_the_whole_torrent) {
  peer_pipe pipe(small_torrent);
  const auto seed = pipe.add_peer(true);
  const auto leecher = pipe.add_peer(false);
  pipe.connect(leecher, seed);
  pipe.run();

  EXPECT_TRUE(pipe[leecher].is_seed());
  EXPECT_EQ(pipe[leecher].stats().downloaded, small_torrent.total_size());
  EXPECT_EQ(pipe[leecher].stats().wasted, 0u);
  EXPECT_EQ(pipe[seed].stats().uploaded, small_torrent.total_size());
  ASSERT_TRUE(pipe[leecher].stats().completed);
  ASSERT_TRUE(pipe[leecher].stats().first_piece);
  EXPECT_LE(*pipe[leecher].stats().first_piece, *pipe[leecher].stats().completed);

  // The opening sequence of BEP 3.
  EXPECT_EQ(messages_between(pipe, leecher, seed, 2),
            (std::vector<std::string>{"handshake", "interested"}));
  EXPECT_EQ(messages_between(pipe, seed, leecher, 3),
            (std::vector<std::string>{"handshake", "bitfield", "unchoke"}));
}

TEST(peer, every_block_is_received_exactly_once_and_pieces_complete_once) {
  peer_pipe pipe(small_torrent);
  const auto seed = pipe.add_peer(true);
  const auto leecher = pipe.add_peer(false);
  pipe.connect(leecher, seed);
  pipe.run();

  std::map<std::uint32_t, int> completions;
  int haves = 0, downloads_completed = 0;
  for (const auto& a : pipe.actions(leecher)) {
    if (auto* c = std::get_if<action::piece_completed>(&a)) ++completions[c->piece.value()];
    if (std::holds_alternative<action::broadcast_have>(a)) ++haves;
    if (std::holds_alternative<action::download_completed>(a)) ++downloads_completed;
  }
  EXPECT_EQ(completions.size(), small_torrent.num_pieces());
  for (const auto& [piece, n] : completions)
    EXPECT_EQ(n, 1) << "piece " << piece;
  EXPECT_EQ(haves, static_cast<int>(small_torrent.num_pieces()));
  EXPECT_EQ(downloads_completed, 1);
  const auto pieces_sent = std::count_if(pipe.log().begin(), pipe.log().end(),
                                         [](const auto& r) { return r.what == "piece"; });
  EXPECT_EQ(pieces_sent, static_cast<long>(small_torrent.num_blocks()));
}

TEST(peer, leecher_announces_started_then_completed) {
  peer_pipe pipe(small_torrent);
  const auto seed = pipe.add_peer(true);
  const auto leecher = pipe.add_peer(false);
  pipe.connect(leecher, seed);
  pipe.run();
  std::vector<announce_event> events;
  for (const auto& a : pipe.actions(leecher))
    if (auto* x = std::get_if<action::announce>(&a)) events.push_back(x->event);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front(), announce_event::started);
  EXPECT_NE(std::find(events.begin(), events.end(), announce_event::completed), events.end());
}

TEST(peer, three_peers_share_and_the_leechers_trade_with_each_other) {
  peer_options o;
  o.picker.random_first_pieces = 0;
  const torrent_geometry g(40 * 16384, 16384, 16384);  // 40 one-block pieces
  peer_pipe pipe(g, o);
  const auto seed = pipe.add_peer(true);
  const auto a = pipe.add_peer(false);
  const auto b = pipe.add_peer(false);
  pipe.connect(a, seed);
  pipe.connect(b, seed);
  pipe.connect(a, b);
  pipe.run();
  EXPECT_TRUE(pipe[a].is_seed());
  EXPECT_TRUE(pipe[b].is_seed());
  // Rarest-first gives the leechers different pieces, so they upload to each other.
  EXPECT_GT(pipe[a].stats().uploaded, 0u);
  EXPECT_GT(pipe[b].stats().uploaded, 0u);
  // Bytes are conserved: what was uploaded was downloaded, or arrived after the
  // receiver had closed the connection.
  const auto up = pipe[seed].stats().uploaded + pipe[a].stats().uploaded + pipe[b].stats().uploaded;
  const auto down = pipe[a].stats().downloaded + pipe[a].stats().wasted +
                    pipe[b].stats().downloaded + pipe[b].stats().wasted;
  EXPECT_EQ(up, down + pipe.dropped_payload());
  EXPECT_LE(pipe.dropped_payload(), 2u * 16384);
}

TEST(peer, requests_from_a_choked_peer_are_dropped) {
  peer_pipe pipe(small_torrent);
  const auto seed = pipe.add_peer(true);
  const auto leecher = pipe.add_peer(false);
  pipe.connect(leecher, seed);
  pipe.step();  // handshakes in flight -> delivered
  // Before the seed unchokes, a request arrives: no block may be queued.
  const session* s = nullptr;
  pipe[seed].for_each_session([&](const session& x) { s = &x; });
  ASSERT_NE(s, nullptr);
  pipe[seed].on_message(s->id, msg::request{piece_index{0}, 0, 16384}, pipe.now());
  ASSERT_TRUE(s->am_choking);
  EXPECT_FALSE(pipe[seed].has_upload(s->id));
}

TEST(peer, choking_drops_the_upload_queue_and_returns_requests_to_the_picker) {
  peer_options o;
  o.pipeline_depth = 4;
  peer_pipe pipe(small_torrent, o);
  const auto seed = pipe.add_peer(true);
  const auto leecher = pipe.add_peer(false);
  pipe.connect(leecher, seed);
  // Run until the leecher has requests outstanding.
  const session* ls = nullptr;
  for (int i = 0; i < 20; ++i) {
    pipe.step();
    pipe[leecher].for_each_session([&](const session& x) { ls = &x; });
    if (ls && !ls->outstanding.empty()) break;
  }
  ASSERT_NE(ls, nullptr);
  ASSERT_FALSE(ls->outstanding.empty());
  const auto requested = ls->outstanding;
  pipe[leecher].on_message(ls->id, msg::choke{}, pipe.now());
  EXPECT_TRUE(ls->outstanding.empty());
  for (const auto b : requested)
    EXPECT_FALSE(pipe[leecher].picker().is_requested(b));
}

TEST(peer, malformed_request_closes_the_connection) {
  peer_pipe pipe(small_torrent);
  const auto seed = pipe.add_peer(true);
  const auto leecher = pipe.add_peer(false);
  pipe.connect(leecher, seed);
  for (int i = 0; i < 4; ++i)
    pipe.step();
  const session* s = nullptr;
  pipe[seed].for_each_session([&](const session& x) { s = &x; });
  ASSERT_NE(s, nullptr);
  const auto id = s->id;
  ASSERT_FALSE(s->am_choking);
  // Offset not on a block boundary.
  pipe[seed].on_message(id, msg::request{piece_index{0}, 100, 16384}, pipe.now());
  EXPECT_EQ(pipe[seed].find(id), nullptr);
  std::vector<peer_action> acts;
  pipe[seed].drain_actions(acts);
  EXPECT_EQ(disconnect_reasons(acts), std::vector{disconnect_reason::bad_request});
  EXPECT_TRUE(is_protocol_error(disconnect_reason::bad_request));
}

TEST(peer, wrong_info_hash_is_refused) {
  peer p(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, {}, 1);
  p.start(time_point{});
  const auto c = p.on_connected(endpoint{2, 1}, false, time_point{});
  ASSERT_TRUE(c);
  sha1_hash other{};
  other[0] = 7;
  p.on_message(*c, msg::handshake{other, wire_peer_id{2}, {}}, time_point{});
  EXPECT_EQ(p.find(*c), nullptr);
  std::vector<peer_action> acts;
  p.drain_actions(acts);
  EXPECT_EQ(disconnect_reasons(acts), std::vector{disconnect_reason::wrong_info_hash});
  EXPECT_EQ(p.stats().protocol_errors, 1u);
}

TEST(peer, a_message_before_the_handshake_is_a_protocol_error) {
  peer p(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, {}, 1);
  p.start(time_point{});
  const auto c = p.on_connected(endpoint{2, 1}, false, time_point{});
  ASSERT_TRUE(c);
  p.on_message(*c, msg::interested{}, time_point{});
  std::vector<peer_action> acts;
  p.drain_actions(acts);
  EXPECT_EQ(disconnect_reasons(acts), std::vector{disconnect_reason::handshake_expected});
  EXPECT_EQ(to_string(disconnect_reason::handshake_expected), "message before the handshake");
}

TEST(peer, closes_on_stop_are_not_protocol_errors) {
  peer p(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, {}, 1);
  p.start(time_point{});
  ASSERT_TRUE(p.on_connected(endpoint{2, 1}, false, time_point{}));
  p.stop(time_point{});
  std::vector<peer_action> acts;
  p.drain_actions(acts);
  EXPECT_EQ(disconnect_reasons(acts), std::vector{disconnect_reason::stopped});
  EXPECT_FALSE(is_protocol_error(disconnect_reason::stopped));
  EXPECT_EQ(p.stats().protocol_errors, 0u);
}

TEST(peer, connection_limit_and_duplicates_are_refused) {
  peer_options o;
  o.max_connections = 2;
  peer p(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, o, 1);
  p.start(time_point{});
  EXPECT_TRUE(p.on_connected(endpoint{2, 1}, false, time_point{}));
  EXPECT_FALSE(p.on_connected(endpoint{2, 1}, false, time_point{}));  // already connected
  EXPECT_TRUE(p.on_connected(endpoint{3, 1}, false, time_point{}));
  EXPECT_FALSE(p.on_connected(endpoint{4, 1}, false, time_point{}));  // full
  EXPECT_FALSE(p.can_accept(time_point{}));
}

// Two connections between the same two peers (each connected to the other; the
// incoming ends come from ephemeral ports): both sides keep the one the smaller
// peer id opened, whichever handshake arrives first, and close the other as a
// duplicate.
TEST(peer, of_two_connections_between_two_peers_both_keep_the_same_one) {
  for (const bool smaller_first : {true, false}) {
    peer_pipe pipe(small_torrent);
    const auto seed = pipe.add_peer(true);  // peer id 1..., the smaller
    const auto leecher = pipe.add_peer(false);
    if (smaller_first) {
      pipe.connect(seed, leecher, 50001);
      pipe.connect(leecher, seed, 50002);
    } else {
      pipe.connect(leecher, seed, 50002);
      pipe.connect(seed, leecher, 50001);
    }
    for (int k = 0; k < 3; ++k)
      pipe.step();  // handshakes both ways, and the answers
    for (const auto i : {seed, leecher}) {
      EXPECT_EQ(pipe[i].num_connections(), 1u) << "peer " << i;
      bool outgoing = false;
      pipe[i].for_each_session([&](const session& x) { outgoing = x.outgoing; });
      EXPECT_EQ(outgoing, i == seed) << "peer " << i << ": the seed's connection survives";
      std::vector<disconnect_reason> reasons;
      for (const auto& a : pipe.actions(i))
        if (const auto* d = std::get_if<action::disconnect>(&a)) reasons.push_back(d->reason);
      EXPECT_EQ(reasons, std::vector{disconnect_reason::duplicate}) << "peer " << i;
      EXPECT_EQ(pipe[i].stats().protocol_errors, 0u);
    }
    pipe.run();
    EXPECT_TRUE(pipe[leecher].is_seed()) << "over the connection that survived";
  }
}

// Closed connections are dropped from the peer (their memory too), but their ids
// are never handed out again: a late message for a closed connection must not
// reach a newer one, and the open ones keep the order they opened in.
TEST(peer, closed_connections_leave_no_session_and_their_ids_are_never_reused) {
  peer_options o;
  o.max_connections = 3;
  peer p(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, o, 1);
  p.start(time_point{});
  const auto first = p.on_connected(endpoint{2, 1}, false, time_point{});
  ASSERT_TRUE(first);
  std::vector<connection_id> closed;
  connection_id previous = *first;
  for (std::uint32_t i = 0; i < 200; ++i) {
    const auto c = p.on_connected(endpoint{100 + i, 1}, false, time_point{});
    ASSERT_TRUE(c);
    for (const connection_id old : closed)
      ASSERT_NE(*c, old);
    ASSERT_NE(*c, *first);
    // Ids grow in the order connections open (the choker breaks ties by id),
    // and their driver index (slot_of) stays within max_connections.
    ASSERT_LT(previous, *c);
    previous = *c;
    ASSERT_LE(peer::slot_of(*c), o.max_connections);
    p.on_disconnected(*c, time_point{});
    EXPECT_EQ(p.find(*c), nullptr);
    closed.push_back(*c);
  }
  const auto last = p.on_connected(endpoint{99, 1}, false, time_point{});
  ASSERT_TRUE(last);
  // A handshake addressed to a closed connection changes nothing.
  p.on_message(closed.back(), msg::handshake{sha1_hash{}, wire_peer_id{9}, {}}, time_point{});
  ASSERT_NE(p.find(*last), nullptr);
  EXPECT_EQ(p.find(*last)->state, session_state::awaiting_handshake);
  std::vector<connection_id> open;
  p.for_each_session([&](const session& s) { open.push_back(s.id); });
  EXPECT_EQ(open, (std::vector<connection_id>{*first, *last}));
  EXPECT_EQ(p.num_connections(), 2u);
  EXPECT_TRUE(p.can_accept(time_point{}));
}

TEST(peer, connection_indices_are_dense_and_reused_while_ids_never_repeat) {
  // More connections than a 13-bit index held (the former limit): ids carry no
  // bit budget that caps max_connections.
  peer_options o;
  o.max_connections = 9000;
  peer p(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, o, 1);
  p.start(time_point{});
  std::vector<connection_id> ids;
  std::vector<bool> index_taken(o.max_connections + 1, false);
  for (std::uint32_t i = 0; i < o.max_connections; ++i) {
    const auto c = p.on_connected(endpoint{100 + i, 1}, false, time_point{});
    ASSERT_TRUE(c) << i;
    const std::uint32_t k = peer::slot_of(*c);
    ASSERT_LE(k, o.max_connections);
    ASSERT_FALSE(index_taken[k]) << "two open connections share index " << k;
    index_taken[k] = true;
    ids.push_back(*c);
  }
  const endpoint late{1'000'000, 1};
  EXPECT_FALSE(p.on_connected(late, false, time_point{}));  // full
  EXPECT_EQ(p.num_connections(), ids.size());
  // Once one closes, its index serves the next, under a new id.
  p.on_disconnected(ids[7], time_point{});
  const auto again = p.on_connected(late, false, time_point{});
  ASSERT_TRUE(again);
  EXPECT_EQ(peer::slot_of(*again), peer::slot_of(ids[7]));
  EXPECT_GT(*again, ids.back());
  EXPECT_EQ(p.find(ids[7]), nullptr);
  EXPECT_NE(p.find(*again), nullptr);
}

TEST(peer, rechoke_and_announce_timers_fire_on_schedule) {
  peer_options o;
  o.announce_interval = std::chrono::seconds(300);
  o.min_peers = 0;  // no early announces for want of connections
  peer p(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, o, 1);
  p.start(time_point{});
  EXPECT_EQ(p.next_deadline(), time_point{} + o.choker.rechoke_interval);
  std::vector<peer_action> acts;
  p.drain_actions(acts);
  int announces = 0;
  time_point t{};
  while (t < time_point{} + std::chrono::seconds(301)) {
    t = p.next_deadline();
    p.on_deadline(t);
    p.drain_actions(acts);
    for (const auto& a : acts)
      if (auto* x = std::get_if<action::announce>(&a)) {
        EXPECT_EQ(x->event, announce_event::none);
        EXPECT_EQ(t, time_point{} + std::chrono::seconds(300));
        ++announces;
      }
  }
  EXPECT_EQ(announces, 1);
}

// A seed with six interested remotes (each sent a handshake, then interested).
struct seed_with_remotes {
  peer p{small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, {}, 1};
  std::vector<connection_id> conns;
  explicit seed_with_remotes(int n) {
    p.set_have_all();
    p.start(time_point{});
    for (int i = 0; i < n; ++i) {
      const auto c = p.on_connected(endpoint{static_cast<std::uint32_t>(i + 2), 1}, false, {});
      wire_peer_id id{};
      id[0] = static_cast<std::uint8_t>(i + 2);
      p.on_message(*c, msg::handshake{sha1_hash{}, id, {}}, {});
      p.on_message(*c, msg::interested{}, {});
      conns.push_back(*c);
    }
  }
  std::vector<connection_id> unchoked() const {
    std::vector<connection_id> out;
    for (auto c : conns)
      if (const session* s = p.find(c); s && !s->am_choking) out.push_back(c);
    return out;
  }
};

TEST(peer, interested_remotes_fill_the_free_slots_at_once) {
  seed_with_remotes x(6);
  EXPECT_EQ(x.unchoked().size(), 4u);  // before any rechoke
}

TEST(peer, a_slot_freed_by_lost_interest_or_a_disconnect_is_refilled_at_once) {
  seed_with_remotes x(6);
  auto before = x.unchoked();
  ASSERT_EQ(before.size(), 4u);
  const auto t = time_point{} + std::chrono::seconds(3);  // long before the first rechoke
  x.p.on_message(before[0], msg::not_interested{}, t);
  auto after = x.unchoked();
  EXPECT_EQ(after.size(), 4u);
  EXPECT_EQ(std::count(after.begin(), after.end(), before[0]), 0);
  x.p.on_disconnected(after[0], t);
  EXPECT_EQ(x.unchoked().size(), 4u);  // the fifth and sixth remote hold the freed slots
}

// A leecher whose four slots are all taken: a choked remote that becomes
// interested waits for the next rechoke, even one whose rate earns it a regular
// slot (mainline Choker.interested rechokes only for unchoked connections), so
// flickering interest does not reshuffle the slots between rechokes.
TEST(peer, a_choked_remote_regaining_interest_waits_for_the_rechoke_when_slots_are_full) {
  peer p{small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, {}, 1};
  p.start(time_point{});
  const auto at = [](int s) { return time_point{} + std::chrono::seconds(s); };
  std::vector<connection_id> conns;
  for (int i = 0; i < 5; ++i) {
    const auto c = p.on_connected(endpoint{static_cast<std::uint32_t>(i + 2), 1}, false, {});
    wire_peer_id id{};
    id[0] = static_cast<std::uint8_t>(i + 2);
    p.on_message(*c, msg::handshake{sha1_hash{}, id, {}}, {});
    conns.push_back(*c);
  }
  // conns[0] uploads piece 0 to us but does not want anything from us.
  bitfield has(small_torrent.num_pieces());
  has.set(piece_index{0});
  p.on_message(conns[0], msg::bitfield{has}, at(1));
  p.on_message(conns[0], msg::unchoke{}, at(1));
  p.on_message(conns[0], msg::piece{piece_index{0}, 0, 16384, {}}, at(2));
  p.on_message(conns[0], msg::piece{piece_index{0}, 16384, 16384, {}}, at(2));
  for (int i = 1; i < 5; ++i)
    p.on_message(conns[i], msg::interested{}, at(3));
  const auto unchoked = [&](connection_id c) { return !p.find(c)->am_choking; };
  p.on_deadline(at(10));  // rechoke: the four interested remotes hold the slots
  for (int i = 1; i < 5; ++i)
    EXPECT_TRUE(unchoked(conns[i]));
  p.on_message(conns[0], msg::interested{}, at(12));
  EXPECT_FALSE(unchoked(conns[0]));  // no free slot: waits
  p.on_deadline(at(20));
  EXPECT_TRUE(unchoked(conns[0]));  // the only remote with a rate: a regular slot
}

// Gives `p` a tracker response listing `addresses` at `t`; returns the
// addresses it then asks to connect to.
std::vector<endpoint> connects_after_response(peer& p, const std::vector<endpoint>& addresses,
                                              time_point t) {
  std::vector<peer_action> acts;
  p.drain_actions(acts);
  announce_response r;
  for (const endpoint e : addresses)
    r.peers.push_back(peer_entry{wire_peer_id{}, e});
  p.on_tracker_response(r, t);
  p.drain_actions(acts);
  std::vector<endpoint> targets;
  for (const auto& a : acts)
    if (const auto* c = std::get_if<action::connect>(&a)) targets.push_back(c->address);
  return targets;
}

TEST(peer, tracker_response_leads_to_connects_up_to_the_limit) {
  peer_options o;
  o.max_initiate = 3;
  peer p(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, o, 1);
  p.start(time_point{});
  std::vector<endpoint> addresses;
  for (std::uint32_t i = 1; i <= 6; ++i)
    addresses.push_back(endpoint{i, 1});
  const auto targets = connects_after_response(p, addresses, time_point{});
  EXPECT_EQ(targets.size(), 3u);
  EXPECT_EQ(std::count(targets.begin(), targets.end(), endpoint{1, 1}), 0);  // never itself
}

TEST(peer, a_seed_connects_to_addresses_from_the_tracker) {
  peer p(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, {}, 1);
  p.set_have_all();
  p.start(time_point{});
  const std::vector<endpoint> addresses{{2, 1}, {3, 1}, {4, 1}};
  EXPECT_EQ(connects_after_response(p, addresses, time_point{}).size(), 3u);
}

// Announce times of `p` while its deadlines are run until `until`.
std::vector<time_point> announces_until(peer& p, time_point until) {
  std::vector<time_point> out;
  std::vector<peer_action> acts;
  for (time_point t = p.next_deadline(); t <= until; t = p.next_deadline()) {
    p.on_deadline(t);
    p.drain_actions(acts);
    for (const auto& a : acts)
      if (std::holds_alternative<action::announce>(a)) out.push_back(t);
  }
  return out;
}

TEST(peer, too_few_connections_and_no_addresses_announce_again_after_the_min_interval) {
  using std::chrono::seconds;
  peer_options o;
  o.announce_interval = seconds(300);
  o.min_peers = 2;
  peer p(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, o, 1);
  p.start(time_point{});
  std::vector<peer_action> acts;
  p.drain_actions(acts);
  announce_response r;
  r.min_interval = seconds(40);
  p.on_tracker_response(r, time_point{});  // no peers
  const time_point t0{};
  EXPECT_EQ(announces_until(p, t0 + seconds(130)),
            (std::vector<time_point>{t0 + seconds(40), t0 + seconds(80), t0 + seconds(120)}));

  // With enough connections it waits for the interval.
  peer q(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, o, 1);
  q.start(t0);
  q.on_connected(endpoint{2, 1}, false, t0);
  q.on_connected(endpoint{3, 1}, false, t0);
  q.drain_actions(acts);  // the "started" announce
  EXPECT_EQ(announces_until(q, t0 + seconds(310)), (std::vector<time_point>{t0 + seconds(300)}));
}

TEST(peer, a_connection_neither_side_wants_is_closed_after_the_inactivity_timeout) {
  using std::chrono::seconds;
  seed_with_remotes x(2);  // two interested remotes
  // A third remote that is not interested (a seed, say): neither side wants anything.
  const auto idle = x.p.on_connected(endpoint{9, 1}, false, time_point{});
  ASSERT_TRUE(idle);
  x.p.on_message(*idle, msg::handshake{sha1_hash{}, wire_peer_id{9}, {}}, time_point{});
  std::vector<peer_action> acts;
  x.p.drain_actions(acts);
  const auto timeout = x.p.options().inactivity_timeout;
  ASSERT_GT(timeout, seconds(0));
  time_point closed_at = protocol::never;
  std::vector<connection_id> closed;
  for (time_point t = x.p.next_deadline(); t <= time_point{} + timeout + seconds(30);
       t = x.p.next_deadline()) {
    x.p.on_deadline(t);
    x.p.drain_actions(acts);
    for (const auto& a : acts)
      if (const auto* d = std::get_if<action::disconnect>(&a)) {
        closed.push_back(d->conn);
        closed_at = t;
      }
  }
  EXPECT_EQ(closed, std::vector<connection_id>{*idle});
  EXPECT_GE(closed_at, time_point{} + timeout);
  EXPECT_LT(closed_at, time_point{} + timeout + x.p.options().choker.rechoke_interval);
  EXPECT_EQ(x.p.num_connections(), 2u);  // the interested ones stay
}

TEST(peer, an_address_that_failed_is_not_tried_again_before_the_reconnect_delay) {
  using std::chrono::seconds;
  peer p(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, {}, 1);
  p.start(time_point{});
  const std::vector<endpoint> addresses{{2, 1}};
  const time_point t0{};
  EXPECT_EQ(connects_after_response(p, addresses, t0).size(), 1u);
  p.on_connect_failed(endpoint{2, 1}, t0);
  const auto delay = p.options().reconnect_delay;
  EXPECT_EQ(connects_after_response(p, addresses, t0 + delay - seconds(1)).size(), 0u);
  EXPECT_EQ(connects_after_response(p, addresses, t0 + delay).size(), 1u);
}

TEST(peer, a_full_peer_makes_room_for_an_incoming_connection_by_closing_an_idle_one) {
  using std::chrono::seconds;
  peer_options o;
  o.max_connections = 2;
  peer p(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, o, 1);
  p.set_have_all();
  p.start(time_point{});
  const time_point t0{};
  const auto wanted = p.on_connected(endpoint{2, 1}, false, t0);
  const auto idle = p.on_connected(endpoint{3, 1}, false, t0);
  ASSERT_TRUE(wanted && idle);
  p.on_message(*wanted, msg::handshake{sha1_hash{}, wire_peer_id{2}, {}}, t0);
  p.on_message(*wanted, msg::interested{}, t0);
  p.on_message(*wanted, msg::request{piece_index{0}, 0, 16384}, t0);  // it downloads
  p.on_message(*idle, msg::handshake{sha1_hash{}, wire_peer_id{3}, {}}, t0);
  std::vector<peer_action> acts;
  p.drain_actions(acts);
  // Too young to be closed for a newcomer.
  EXPECT_FALSE(p.can_accept(t0 + seconds(1)));
  EXPECT_FALSE(p.on_connected(endpoint{4, 1}, false, t0 + seconds(1)));
  const auto t = t0 + o.choker.rechoke_interval;
  p.on_message(*wanted, msg::request{piece_index{0}, 16384, 16384}, t);  // and keeps at it
  EXPECT_TRUE(p.can_accept(t));
  const auto fresh = p.on_connected(endpoint{5, 1}, false, t);
  ASSERT_TRUE(fresh);
  p.drain_actions(acts);
  std::vector<connection_id> closed;
  for (const auto& a : acts)
    if (const auto* d = std::get_if<action::disconnect>(&a)) closed.push_back(d->conn);
  EXPECT_EQ(closed, std::vector<connection_id>{*idle});
  EXPECT_EQ(p.num_connections(), 2u);
  EXPECT_TRUE(p.find(*wanted));
  // The driver hears of the victim's close only now, after it took the new id:
  // a driver keeping per-connection state by slot must not find it taken.
  EXPECT_NE(peer::slot_of(*fresh), peer::slot_of(*idle));
  EXPECT_NE(peer::slot_of(*fresh), peer::slot_of(*wanted));
  // Now every connection is wanted or new: the next one is refused.
  p.on_message(*fresh, msg::handshake{sha1_hash{}, wire_peer_id{5}, {}}, t);
  p.on_message(*fresh, msg::interested{}, t);
  EXPECT_FALSE(p.on_connected(endpoint{6, 1}, false, t + o.choker.rechoke_interval));
}

TEST(peer, of_two_simultaneous_connections_the_lower_address_keeps_its_own) {
  // Each of a (address 1) and b (address 2) asked for a connection to the other.
  const endpoint ea{1, 1}, eb{2, 1};
  peer a(small_torrent, sha1_hash{}, wire_peer_id{1}, ea, {}, 1);
  peer b(small_torrent, sha1_hash{}, wire_peer_id{2}, eb, {}, 2);
  for (auto [self, other] : {std::pair{&a, eb}, std::pair{&b, ea}}) {
    self->start(time_point{});
    announce_response r;
    r.peers.push_back(peer_entry{wire_peer_id{}, other});
    self->on_tracker_response(r, time_point{});
  }
  // Both connection requests arrive before either completes.
  EXPECT_FALSE(a.on_connected(eb, false, time_point{}));  // b's: refused, a's own wins
  EXPECT_TRUE(b.on_connected(ea, false, time_point{}));   // a's: accepted
  EXPECT_TRUE(a.on_connected(eb, true, time_point{}));    // a's own completes
  EXPECT_FALSE(b.on_connected(ea, true, time_point{}));   // b's own: a duplicate now
  b.on_connect_failed(ea, time_point{});
  EXPECT_EQ(a.num_connections(), 1u);
  EXPECT_EQ(b.num_connections(), 1u);
}

TEST(peer, stop_announces_stopped_and_closes_everything) {
  peer p(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, {}, 1);
  p.start(time_point{});
  p.on_connected(endpoint{2, 1}, false, time_point{});
  p.on_connected(endpoint{3, 1}, false, time_point{});
  std::vector<peer_action> acts;
  p.drain_actions(acts);
  p.stop(time_point{});
  p.drain_actions(acts);
  EXPECT_EQ(std::count_if(
                acts.begin(), acts.end(),
                [](const peer_action& a) { return std::holds_alternative<action::disconnect>(a); }),
            2);
  EXPECT_TRUE(std::holds_alternative<action::announce>(acts.back()));
  EXPECT_EQ(std::get<action::announce>(acts.back()).event, announce_event::stopped);
  EXPECT_EQ(p.num_connections(), 0u);
}

// Runs `pipe` to the end, answering the leecher's check_piece actions: the first
// check of `bad` fails, every other passes. Returns the pieces checked, in order.
std::vector<piece_index> run_with_checks(peer_pipe& pipe, std::size_t leecher, piece_index bad) {
  std::vector<piece_index> checked;
  std::size_t seen = 0;
  bool failed_once = false;
  for (int i = 0; i < 10000; ++i) {
    const bool moved = pipe.step();
    auto& acts = pipe.actions(leecher);
    bool answered = false;
    for (; seen < acts.size(); ++seen) {
      const auto* c = std::get_if<action::check_piece>(&acts[seen]);
      if (!c) continue;
      checked.push_back(c->piece);
      const bool fail = c->piece == bad && !failed_once;
      failed_once = failed_once || fail;
      pipe[leecher].on_piece_checked(c->piece, fail ? piece_verdict::failed : piece_verdict::passed,
                                     pipe.now());
      answered = true;
    }
    if (answered) pipe.flush(leecher);
    if (!moved && !answered) break;
  }
  return checked;
}

TEST(peer, a_piece_counts_only_after_its_check_and_a_failed_one_is_fetched_again) {
  peer_options o;
  o.check = piece_check::by_driver;
  peer_pipe pipe(small_torrent, o);
  const auto seed = pipe.add_peer(true);
  const auto leecher = pipe.add_peer(false);
  pipe.connect(leecher, seed);
  const auto checked = run_with_checks(pipe, leecher, piece_index{2});
  EXPECT_TRUE(pipe[leecher].is_seed());
  EXPECT_EQ(pipe[leecher].stats().hash_failures, 1u);
  // Every piece checked once, piece 2 twice.
  EXPECT_EQ(checked.size(), small_torrent.num_pieces() + 1);
  EXPECT_EQ(std::count(checked.begin(), checked.end(), piece_index{2}), 2);
  // The failed piece was downloaded twice.
  EXPECT_EQ(pipe[leecher].stats().downloaded,
            small_torrent.total_size() + small_torrent.piece_length(piece_index{2}));
  // Its HAVE went out once, after the check passed.
  const auto& acts = pipe.actions(leecher);
  EXPECT_EQ(std::count_if(acts.begin(), acts.end(),
                          [](const peer_action& a) {
                            const auto* h = std::get_if<action::broadcast_have>(&a);
                            return h && h->piece == piece_index{2};
                          }),
            1);
}

TEST(peer, a_remote_that_keeps_sending_bad_pieces_is_dropped) {
  peer_options o;
  o.check = piece_check::by_driver;
  o.max_hash_failures = 0;  // the first bad piece is one too many
  peer_pipe pipe(small_torrent, o);
  const auto seed = pipe.add_peer(true);
  const auto leecher = pipe.add_peer(false);
  pipe.connect(leecher, seed);
  run_with_checks(pipe, leecher, piece_index{1});
  EXPECT_EQ(pipe[leecher].num_connections(), 0u);
  EXPECT_FALSE(pipe[leecher].is_seed());
  const auto& acts = pipe.actions(leecher);
  EXPECT_TRUE(std::any_of(acts.begin(), acts.end(), [](const peer_action& a) {
    return std::holds_alternative<action::disconnect>(a);
  }));
}

}  // namespace
}  // namespace swarmsim::protocol

namespace swarmsim::protocol {
namespace {

using testing::peer_pipe;

peer_options super_seeding_options() {
  peer_options o;
  o.choker.super_seeding = true;
  return o;
}

TEST(peer, a_super_seed_sends_no_bitfield_and_reveals_one_piece_at_a_time) {
  peer_pipe pipe(small_torrent, super_seeding_options());
  const auto seed = pipe.add_peer(true);
  const auto a = pipe.add_peer(false);
  const auto b = pipe.add_peer(false);
  pipe.connect(a, seed);
  pipe.connect(b, seed);
  pipe.step();
  pipe.step();
  // Before anyone passed a piece on: exactly one HAVE per leecher, no bitfield,
  // and the two leechers were shown different pieces.
  const auto to_a = messages_between(pipe, seed, a, 100);
  const auto to_b = messages_between(pipe, seed, b, 100);
  EXPECT_EQ(std::count(to_a.begin(), to_a.end(), "bitfield"), 0);
  EXPECT_EQ(std::count(to_a.begin(), to_a.end(), "have"), 1);
  EXPECT_EQ(std::count(to_b.begin(), to_b.end(), "have"), 1);
  std::vector<std::optional<piece_index>> shown;
  pipe[seed].for_each_session([&](const session& s) { shown.push_back(s.superseed_piece); });
  ASSERT_EQ(shown.size(), 2u);
  ASSERT_TRUE(shown[0] && shown[1]);
  EXPECT_NE(*shown[0], *shown[1]);
}

TEST(peer, a_super_seed_with_one_leecher_still_delivers_everything) {
  peer_pipe pipe(small_torrent, super_seeding_options());
  const auto seed = pipe.add_peer(true);
  const auto leecher = pipe.add_peer(false);
  pipe.connect(leecher, seed);
  pipe.run();
  EXPECT_TRUE(pipe[leecher].is_seed());
  // Each revealed piece costs a choke/unchoke round trip (not interested, then
  // interested again), so a block requested just before a choke may come twice.
  EXPECT_GE(pipe[seed].stats().uploaded, small_torrent.total_size());
  EXPECT_LE(pipe[seed].stats().uploaded, small_torrent.total_size() * 3 / 2);
}

TEST(peer, a_super_seed_reveals_more_only_once_others_pass_pieces_on) {
  peer_pipe pipe(small_torrent, super_seeding_options());
  const auto seed = pipe.add_peer(true);
  const auto a = pipe.add_peer(false);
  const auto b = pipe.add_peer(false);
  const auto c = pipe.add_peer(false);
  pipe.connect(a, seed);
  pipe.connect(b, seed);
  pipe.connect(c, seed);
  pipe.connect(a, b);
  pipe.connect(b, c);
  pipe.connect(a, c);
  pipe.run();
  for (auto l : {a, b, c})
    EXPECT_TRUE(pipe[l].is_seed()) << "leecher " << l;
  // Each piece left the seed about once: the leechers traded the rest.
  EXPECT_LE(pipe[seed].stats().uploaded, small_torrent.total_size() * 3 / 2);
  EXPECT_GE(pipe[seed].stats().uploaded, small_torrent.total_size());
}

// The typed entry points (on_message with a msg:: struct, as the simulator
// delivers) and the variant one (as the socket driver and the pipe deliver) run
// the same handlers: the same messages give the same state and actions.
TEST(peer, typed_and_variant_messages_are_handled_alike) {
  peer typed{small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, {}, 7};
  peer variant{small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, {}, 7};
  bitfield has(small_torrent.num_pieces());
  has.set(piece_index{1});
  const std::vector<message> script{
      msg::handshake{sha1_hash{}, wire_peer_id{2}, {}},
      msg::bitfield{has},
      msg::have{piece_index{0}},
      msg::unchoke{},
      msg::interested{},
      msg::piece{piece_index{0}, 0, 16384, {}},
      msg::keep_alive{},
      msg::piece{piece_index{0}, 16384, 16384, {}},
      msg::request{piece_index{0}, 0, 16384},
      msg::cancel{piece_index{0}, 0, 16384},
      msg::not_interested{},
      msg::choke{},
      msg::bitfield{bitfield(small_torrent.num_pieces() + 1)},  // wrong size: closes
  };
  std::vector<std::vector<std::string>> sent(2);
  const auto log_actions = [](peer& p, std::vector<std::string>& out) {
    std::vector<peer_action> acts;
    p.drain_actions(acts);
    for (const auto& a : acts)
      out.push_back(std::holds_alternative<action::send>(a)
                        ? std::string(name(std::get<action::send>(a).msg))
                        : "action " + std::to_string(a.index()));
  };
  std::vector<connection_id> conns;
  for (peer* p : {&typed, &variant}) {
    p->start(time_point{});
    conns.push_back(*p->on_connected(endpoint{2, 1}, false, time_point{}));
  }
  for (std::size_t i = 0; i < script.size(); ++i) {
    const time_point t = time_point{} + std::chrono::milliseconds(i);
    std::visit([&](const auto& m) { typed.on_message(conns[0], m, t); }, script[i]);
    variant.on_message(conns[1], script[i], t);
    log_actions(typed, sent[0]);
    log_actions(variant, sent[1]);
    ASSERT_EQ(sent[0], sent[1]) << "after message " << i;
    ASSERT_EQ(typed.find(conns[0]) == nullptr, variant.find(conns[1]) == nullptr);
  }
  EXPECT_EQ(typed.stats().wire_received, variant.stats().wire_received);
  EXPECT_EQ(typed.stats().downloaded, 32768u);
  EXPECT_EQ(typed.stats().downloaded, variant.stats().downloaded);
  EXPECT_EQ(typed.stats().protocol_errors, 1u);
  EXPECT_EQ(variant.stats().protocol_errors, 1u);
  EXPECT_TRUE(typed.have().test(piece_index{0}));
  EXPECT_TRUE(variant.have().test(piece_index{0}));
}

// aria2 sends a BITFIELD instead of a run of HAVEs once that is shorter: a
// later bitfield replaces what the remote had, in its session and in the
// picker's availability, and the connection stays open.
TEST(peer, a_later_bitfield_replaces_the_remotes_pieces) {
  peer p{small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, {}, 1};
  const time_point t{};
  p.start(t);
  const auto c = *p.on_connected(endpoint{2, 1}, false, t);
  p.on_message(c, msg::handshake{sha1_hash{}, wire_peer_id{2}, {}}, t);
  const auto bits = [](std::initializer_list<std::uint32_t> pieces) {
    bitfield b(small_torrent.num_pieces());
    for (const std::uint32_t i : pieces)
      b.set(i);
    return b;
  };
  const auto availability = [&] {
    std::string out;
    for (std::uint32_t i = 0; i < small_torrent.num_pieces(); ++i)
      out += std::to_string(p.picker().availability(piece_index{i}));
    return out;
  };
  p.on_message(c, msg::bitfield{bits({0, 1})}, t);
  EXPECT_EQ(availability(), "110000");
  p.on_message(c, msg::have{piece_index{5}}, t);
  p.on_message(c, msg::bitfield{bits({1, 2, 3})}, t);
  ASSERT_NE(p.find(c), nullptr) << "a later bitfield closed the connection";
  EXPECT_EQ(p.stats().protocol_errors, 0u);
  EXPECT_EQ(availability(), "011100");
  EXPECT_EQ(p.find(c)->remote_has, bits({1, 2, 3}));
  EXPECT_EQ(p.find(c)->wanted, 3u);
  EXPECT_TRUE(p.find(c)->am_interested);
  p.on_message(c, msg::bitfield{bits({0, 1, 2, 3, 4, 5})}, t);  // now a seed
  EXPECT_TRUE(p.find(c)->remote_is_seed);
  EXPECT_EQ(availability(), "111111");
  p.on_message(c, msg::bitfield{bits({})}, t);  // and nothing again
  EXPECT_FALSE(p.find(c)->remote_is_seed);
  EXPECT_EQ(availability(), "000000");
  EXPECT_FALSE(p.find(c)->am_interested);
  p.check_invariants();
}

// Peer 1 completes piece 0, received from a remote that has it; a second remote
// lacks it; a third has not sent its handshake. The recipients of the HAVE.
std::vector<connection_id> have_recipients(have_to rule, connection_id& has, connection_id& lacks) {
  peer_options o;
  o.send_have = rule;
  peer p(small_torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 1}, o, 1);
  const time_point t{};
  p.start(t);
  has = *p.on_connected(endpoint{2, 1}, false, t);
  lacks = *p.on_connected(endpoint{3, 1}, false, t);
  const auto silent = p.on_connected(endpoint{4, 1}, false, t);
  EXPECT_TRUE(silent);
  p.on_message(has, msg::handshake{sha1_hash{}, wire_peer_id{2}, {}}, t);
  p.on_message(lacks, msg::handshake{sha1_hash{}, wire_peer_id{3}, {}}, t);
  bitfield piece_0(small_torrent.num_pieces());
  piece_0.set(0);
  p.on_message(has, msg::bitfield{piece_0}, t);
  p.on_message(has, msg::unchoke{}, t);
  p.on_message(has, msg::piece{piece_index{0}, 0, 16384, {}}, t);
  p.on_message(has, msg::piece{piece_index{0}, 16384, 16384, {}}, t);
  EXPECT_TRUE(p.have().test(piece_index{0}));
  std::vector<peer_action> acts;
  p.drain_actions(acts);
  std::vector<std::vector<connection_id>> haves;
  for (const auto& a : acts)
    if (const auto* h = std::get_if<action::broadcast_have>(&a)) haves.push_back(h->to);
  EXPECT_EQ(haves.size(), 1u);
  return haves.empty() ? std::vector<connection_id>{} : haves.front();
}

TEST(peer, by_default_a_have_goes_to_every_connection_whose_handshake_arrived) {
  connection_id has, lacks;
  const auto to = have_recipients(have_to::all, has, lacks);
  EXPECT_EQ(to, (std::vector<connection_id>{has, lacks}));
  EXPECT_EQ(peer_options{}.send_have, have_to::all);
}

TEST(peer, with_send_have_lacking_a_have_skips_remotes_known_to_have_the_piece) {
  connection_id has, lacks;
  const auto to = have_recipients(have_to::lacking, has, lacks);
  EXPECT_EQ(to, std::vector<connection_id>{lacks});
}

// Through the pipe: a leecher downloading from a seed tells the seed of every
// piece (mainline, libtorrent's send_redundant_have), or of none with `lacking`.
std::size_t haves_from_leecher_to_seed(have_to rule) {
  peer_options o;
  o.send_have = rule;
  peer_pipe pipe(small_torrent, o);
  const auto seed = pipe.add_peer(true);
  const auto leecher = pipe.add_peer(false);
  pipe.connect(leecher, seed);
  pipe.run();
  EXPECT_TRUE(pipe[leecher].is_seed());
  return static_cast<std::size_t>(
      std::count_if(pipe.log().begin(), pipe.log().end(), [&](const testing::wire_record& r) {
        return r.from == leecher && r.to == seed && r.what == "have";
      }));
}

TEST(peer, the_pipe_carries_haves_to_the_connections_the_peer_chose) {
  EXPECT_EQ(haves_from_leecher_to_seed(have_to::all), small_torrent.num_pieces());
  EXPECT_EQ(haves_from_leecher_to_seed(have_to::lacking), 0u);
}

// Invariant 7: the pipe checks every delivery (peer_pipe::step); here a swarm
// whose messages do move deadlines (the completion announce) shows the check
// sees both kinds of delivery.
TEST(peer, a_message_moves_the_deadline_only_with_an_action) {
  peer_options o;
  o.picker.random_first_pieces = 0;
  o.announce_interval = std::chrono::seconds(1);  // before every rechoke: it is the deadline
  const torrent_geometry g(40 * 16384, 16384, 16384);
  peer_pipe pipe(g, o);
  const auto seed = pipe.add_peer(true);
  const auto a = pipe.add_peer(false);
  const auto b = pipe.add_peer(false);
  pipe.connect(a, seed);
  pipe.connect(b, seed);
  pipe.connect(a, b);
  pipe.run();
  EXPECT_TRUE(pipe[a].is_seed());
  EXPECT_TRUE(pipe[b].is_seed());
  EXPECT_GT(pipe.deliveries(), 100u);
  EXPECT_GE(pipe.deadline_moves(), 2u);  // each leecher's "completed" announce
}

}  // namespace
}  // namespace swarmsim::protocol
