#pragma once
// Fuzz target: protocol::peer (protocol/peer.hpp) fed connection events, decoded
// messages, check verdicts, tracker responses and time, in an order the input
// chooses. Input layout: 2 bytes of setup (pieces, options, seed or leecher),
// then operations of one byte each, most followed by their operands. Properties
// checked after every operation:
// 1. check_invariants() holds (it throws std::logic_error naming the rule).
// 2. No exception escapes a handler (where assertions are on, on_message also
//    checks peer invariant 8 itself).
// 3. Every action names a connection the peer opened, and a disconnected
//    connection is never named again.

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "protocol/peer.hpp"
#include "protocol/wire_codec.hpp"

namespace swarmsim::fuzz {

class peer_driver {
 public:
  explicit peer_driver(std::span<const std::uint8_t> data) : in_(data) {}

  void run() {
    const std::uint8_t shape = take();
    const std::uint8_t flags = take();
    const std::uint32_t pieces = 1 + shape % 40;
    const protocol::torrent_geometry geometry(std::uint64_t{pieces} * 32768 - (shape >> 6) * 5000,
                                              32768, 16384);
    protocol::peer_options o;
    o.check = (flags & 1) ? protocol::piece_check::by_driver : protocol::piece_check::none;
    o.extensions = (flags & 2) ? protocol::wire_extensions::fast_and_extension_protocol
                               : protocol::wire_extensions::none;
    o.max_connections = 1 + (flags >> 2) % 6;
    o.max_connections_per_address = (flags >> 5) % 3;
    o.max_hash_failures = 1;
    o.choker.super_seeding = (flags & 0x80) && (flags & 0x10);
    protocol::peer p(geometry, info_hash(), id(1), protocol::endpoint{1, 1}, o, shape);
    if (flags & 0x80) p.set_have_all();
    p.start(now_);
    drain(p);
    while (pos_ < in_.size()) {
      step(p, geometry);
      drain(p);
      p.check_invariants();
    }
  }

 private:
  static protocol::sha1_hash info_hash() { return protocol::sha1_hash{}; }
  static protocol::wire_peer_id id(std::uint8_t n) {
    protocol::wire_peer_id w{};
    w.fill(n);
    return w;
  }
  std::uint8_t take() { return pos_ < in_.size() ? in_[pos_++] : 0; }
  std::optional<protocol::connection_id> pick() {
    if (open_.empty()) return std::nullopt;
    return open_[take() % open_.size()];
  }

  void step(protocol::peer& p, const protocol::torrent_geometry& geometry) {
    const std::uint8_t op = take() % 8;
    switch (op) {
      case 0:
      case 1: {  // a connection, incoming or outgoing
        const protocol::endpoint remote{2u + take() % 6, static_cast<std::uint16_t>(take())};
        if (auto c = p.on_connected(remote, op == 1, now_)) open_.push_back(*c);
        break;
      }
      case 2:
        if (auto c = pick()) {
          p.on_disconnected(*c, now_);
          forget(*c);
        }
        break;
      case 3:
        if (auto c = pick()) {  // wire bytes from the remote
          const std::size_t n = std::min<std::size_t>(take(), in_.size() - pos_);
          protocol::decoder d(geometry.num_pieces(), protocol::decoder_start::after_handshake);
          d.feed(in_.subspan(pos_, n));
          pos_ += n;
          for (auto r = d.next(); r.has_message() && p.find(*c); r = d.next())
            p.on_message(*c, r.get(), now_);
        }
        break;
      case 4:
        if (auto c = pick()) {
          const std::uint8_t who = take();
          p.on_message(*c, protocol::msg::handshake{info_hash(), id(who % 5), {}}, now_);
        }
        break;
      case 5:
        now_ += std::chrono::milliseconds(100) * take();
        if (p.next_deadline() <= now_) p.on_deadline(now_);
        break;
      case 6:
        if (!checks_.empty()) {  // the driver's verdict, with digests when asked
          const auto [piece, digests] = checks_.front();
          checks_.erase(checks_.begin());
          const std::uint8_t v = take();
          std::vector<protocol::sha1_hash> d(digests ? geometry.blocks_in_piece(piece) : 0);
          for (auto& h : d)
            h.fill(take() & 1);
          p.on_piece_checked(
              piece, (v & 1) ? protocol::piece_verdict::failed : protocol::piece_verdict::passed,
              now_, d);
        }
        break;
      case 7: {
        protocol::announce_response r;
        for (int i = take() % 4; i > 0; --i)
          r.peers.push_back({id(0), protocol::endpoint{2u + take() % 6, 1}});
        p.on_tracker_response(r, now_);
        break;
      }
    }
  }

  void drain(protocol::peer& p) {
    p.drain_actions(actions_);
    for (const auto& a : actions_) {
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (requires { x.conn; })
              check(known(x.conn), "an action names an open connection");
            if constexpr (std::is_same_v<T, protocol::action::disconnect>) forget(x.conn);
            if constexpr (std::is_same_v<T, protocol::action::check_piece>)
              checks_.push_back({x.piece, x.block_digests});
          },
          a);
    }
  }
  bool known(protocol::connection_id c) const {
    return std::find(open_.begin(), open_.end(), c) != open_.end();
  }
  void forget(protocol::connection_id c) { std::erase(open_, c); }

  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  protocol::time_point now_{};
  std::vector<protocol::connection_id> open_;
  std::vector<std::pair<protocol::piece_index, bool>> checks_;
  std::vector<protocol::peer_action> actions_;
};

inline void peer_one(std::span<const std::uint8_t> data) {
  peer_driver(data).run();
}

}  // namespace swarmsim::fuzz
