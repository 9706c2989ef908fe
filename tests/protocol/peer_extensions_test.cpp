// BEP 6 (fast extension) and BEP 10 (extension handshake) on one connection,
// and the request queue's depth (peer.hpp invariants 9 and 10).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "protocol/bencode.hpp"
#include "protocol/peer.hpp"

namespace swarmsim::protocol {
namespace {

// 64 pieces of 64 KiB (4 blocks each).
const torrent_geometry torrent(64 * 65536, 65536, 16384);

std::array<std::uint8_t, 8> both_extensions() {
  std::array<std::uint8_t, 8> r{};
  r[msg::extension_protocol_byte] = msg::extension_protocol_bit;
  r[msg::fast_extension_byte] = msg::fast_extension_bit;
  return r;
}

peer_options with_extensions(std::uint32_t max_request_queue = 250) {
  peer_options o;
  o.extensions = wire_extensions::fast_and_extension_protocol;
  o.max_request_queue = max_request_queue;
  return o;
}

std::vector<message> sent(peer& p) {
  std::vector<peer_action> acts;
  p.drain_actions(acts);
  std::vector<message> out;
  for (auto& a : acts)
    if (auto* s = std::get_if<action::send>(&a)) out.push_back(std::move(s->msg));
  return out;
}

template <typename M>
std::size_t count_of(const std::vector<message>& ms) {
  return static_cast<std::size_t>(std::count_if(
      ms.begin(), ms.end(), [](const message& m) { return std::holds_alternative<M>(m); }));
}

// A peer and one incoming connection whose handshake offered `reserved`.
struct one_connection {
  explicit one_connection(peer_options o, std::array<std::uint8_t, 8> reserved, bool seed = true)
      : p(torrent, sha1_hash{}, wire_peer_id{1}, endpoint{1, 6881}, o, 1) {
    if (seed) p.set_have_all();
    p.start(t);
    c = *p.on_connected(endpoint{2, 1}, false, t);
    p.on_message(c, msg::handshake{sha1_hash{}, wire_peer_id{2}, reserved}, t);
    first = sent(p);
  }
  // The remote asks to be unchoked; the rechoke unchokes it.
  void get_unchoked() {
    p.on_message(c, msg::interested{}, t);
    sent(p);
    ASSERT_FALSE(p.find(c)->am_choking);
  }
  time_point t{};
  peer p;
  connection_id c;
  std::vector<message> first;  // what the peer sent after the handshake
};

TEST(peer_extensions, the_handshake_offers_both_and_the_extension_handshake_names_reqq) {
  one_connection x(with_extensions(2000), both_extensions());
  ASSERT_GE(x.first.size(), 3u);
  const auto& hs = std::get<msg::handshake>(x.first[0]);
  EXPECT_EQ(hs.reserved, both_extensions());
  EXPECT_TRUE(std::holds_alternative<msg::have_all>(x.first[1]));  // a seed, with BEP 6
  const auto& ext = std::get<msg::extended>(x.first[2]);
  EXPECT_EQ(ext.ext, 0);
  const auto d = bencode::decode(std::span<const std::uint8_t>(ext.payload));
  ASSERT_TRUE(d) << d.error().text;
  ASSERT_NE(d.get().find("reqq"), nullptr);
  EXPECT_EQ(*d.get().find("reqq")->as_integer(), 2000);
  EXPECT_EQ(*d.get().find("p")->as_integer(), 6881);
  EXPECT_NE(d.get().find("v"), nullptr);
  EXPECT_TRUE(d.get().find("m")->is_dict());
}

TEST(peer_extensions, nothing_is_offered_or_sent_when_the_remote_offers_nothing) {
  one_connection x(with_extensions(), {});
  EXPECT_EQ(count_of<msg::extended>(x.first), 0u);
  EXPECT_EQ(count_of<msg::have_all>(x.first), 0u);
  EXPECT_EQ(count_of<msg::bitfield>(x.first), 1u);
  // A fast message on a connection that did not negotiate it is a protocol error.
  x.p.on_message(x.c, msg::have_none{}, x.t);
  EXPECT_EQ(x.p.find(x.c), nullptr);
  EXPECT_EQ(x.p.stats().protocol_errors, 1u);
}

TEST(peer_extensions, the_simulators_default_offers_nothing) {
  one_connection x(peer_options{}, both_extensions());
  EXPECT_EQ(std::get<msg::handshake>(x.first[0]).reserved, (std::array<std::uint8_t, 8>{}));
  EXPECT_EQ(count_of<msg::extended>(x.first), 0u);
  EXPECT_EQ(count_of<msg::bitfield>(x.first), 1u);
}

// Transmission keeps rate x 10 s of requests in flight: one past our queue
// used to vanish, and it waited for its request timeout.
TEST(peer_extensions, a_request_beyond_the_queue_is_rejected_never_dropped) {
  one_connection x(with_extensions(4), both_extensions());
  x.get_unchoked();
  std::size_t answered = 0;
  for (std::uint32_t i = 0; i < 8; ++i) {
    x.p.on_message(x.c, msg::request{piece_index{i}, 0, 16384}, x.t);
    answered += count_of<msg::reject_request>(sent(x.p));
  }
  EXPECT_EQ(answered, 4u);
  while (x.p.next_upload(x.c, x.t))
    ++answered;
  EXPECT_EQ(answered, 8u);
}

TEST(peer_extensions, without_the_fast_extension_a_flood_closes_with_a_reason) {
  peer_options o;
  o.max_request_queue = 2;
  one_connection x(o, {});
  x.get_unchoked();
  for (std::uint32_t i = 0; i < 3; ++i)
    x.p.on_message(x.c, msg::request{piece_index{i}, 0, 16384}, x.t);
  std::vector<peer_action> acts;
  x.p.drain_actions(acts);
  ASSERT_FALSE(acts.empty());
  const auto* d = std::get_if<action::disconnect>(&acts.back());
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->reason, disconnect_reason::too_many_requests);
  EXPECT_TRUE(is_protocol_error(d->reason));
}

TEST(peer_extensions, choking_rejects_every_queued_request_and_requests_while_choked) {
  one_connection x(with_extensions(), both_extensions());
  x.p.on_message(x.c, msg::request{piece_index{0}, 0, 16384}, x.t);  // still choked
  EXPECT_EQ(count_of<msg::reject_request>(sent(x.p)), 1u);
  x.get_unchoked();
  for (std::uint32_t i = 0; i < 3; ++i)
    x.p.on_message(x.c, msg::request{piece_index{i}, 0, 16384}, x.t);
  x.p.on_message(x.c, msg::cancel{piece_index{2}, 0, 16384}, x.t);
  EXPECT_EQ(count_of<msg::reject_request>(sent(x.p)), 1u);  // the cancelled one
  x.p.on_message(x.c, msg::not_interested{}, x.t);          // frees its slot: choked
  const auto after = sent(x.p);
  ASSERT_FALSE(after.empty());
  EXPECT_TRUE(std::holds_alternative<msg::choke>(after.front()));
  EXPECT_EQ(count_of<msg::reject_request>(after), 2u);
}

TEST(peer_extensions, have_all_and_have_none_stand_for_a_bitfield) {
  one_connection x(with_extensions(), both_extensions(), false);
  x.p.on_message(x.c, msg::have_all{}, x.t);
  EXPECT_TRUE(x.p.find(x.c)->remote_is_seed);
  EXPECT_EQ(x.p.picker().availability(piece_index{3}), 1u);
  EXPECT_TRUE(x.p.find(x.c)->am_interested);
  x.p.on_message(x.c, msg::have_none{}, x.t);
  EXPECT_EQ(x.p.picker().availability(piece_index{3}), 0u);
  EXPECT_FALSE(x.p.find(x.c)->am_interested);
  x.p.check_invariants();
}

std::vector<std::uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

TEST(peer_extensions, the_remotes_reqq_caps_our_requests_and_a_reject_frees_the_block) {
  peer_options o = with_extensions();
  o.pipeline_depth = 10;
  one_connection x(o, both_extensions(), false);
  x.p.on_message(x.c, msg::extended{0, bytes("d4:reqqi3e1:v4:teste")}, x.t);
  x.p.on_message(x.c, msg::have_all{}, x.t);
  x.p.on_message(x.c, msg::unchoke{}, x.t);
  auto out = sent(x.p);
  EXPECT_EQ(count_of<msg::request>(out), 3u);
  const auto first = std::find_if(out.begin(), out.end(), [](const message& m) {
    return std::holds_alternative<msg::request>(m);
  });
  const auto r = std::get<msg::request>(*first);
  x.p.on_message(x.c, msg::reject_request{r.index, r.begin, r.length}, x.t);
  EXPECT_EQ(x.p.find(x.c)->outstanding.size(), 2u);
  x.p.check_invariants();
}

TEST(peer_extensions, a_bad_extension_handshake_closes_with_its_reason) {
  one_connection x(with_extensions(), both_extensions());
  x.p.on_message(x.c, msg::extended{0, bytes("d4:reqq")}, x.t);
  std::vector<peer_action> acts;
  x.p.drain_actions(acts);
  ASSERT_FALSE(acts.empty());
  const auto* d = std::get_if<action::disconnect>(&acts.back());
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->reason, disconnect_reason::bad_extension_handshake);
}

// Adaptive: the depth follows rate x request_queue_time / block size.
TEST(peer_extensions, an_adaptive_queue_deepens_with_the_rate) {
  peer_options o = with_extensions();
  o.queue = request_queue::adaptive;
  o.pipeline_depth = 2;
  o.max_pipeline_depth = 64;
  one_connection x(o, both_extensions(), false);
  x.p.on_message(x.c, msg::have_all{}, x.t);
  x.p.on_message(x.c, msg::unchoke{}, x.t);
  sent(x.p);
  EXPECT_EQ(x.p.find(x.c)->outstanding.size(), 2u);
  // 2 blocks every 100 ms: 320 KiB/s, so 3 s of it is 60 blocks.
  time_point t = x.t;
  for (int round = 0; round < 30; ++round) {
    t += std::chrono::milliseconds(100);
    const auto pending = x.p.find(x.c)->outstanding;
    for (std::size_t k = 0; k < 2 && k < pending.size(); ++k) {
      const block_ref b = pending[k];
      x.p.on_message(x.c, msg::piece{b.piece, torrent.block_offset(b), torrent.block_length(b), {}},
                     t);
    }
    sent(x.p);
    if (x.p.is_seed()) break;
  }
  EXPECT_GT(x.p.find(x.c)->outstanding.size(), 20u);
  EXPECT_LE(x.p.find(x.c)->outstanding.size(), 64u);
  x.p.check_invariants();
}

}  // namespace
}  // namespace swarmsim::protocol
