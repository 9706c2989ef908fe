#pragma once
// Test harness: local peers joined by in-memory pipes. Messages are delivered in
// send order, one step at a time, on a virtual clock that advances `step` per
// delivery round; blocks are pulled from uploaders in round robin. A HAVE goes
// to the connections its action names; every delivery checks peer invariant 8
// (a message moves the deadline only with an action).

#include <deque>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "protocol/peer.hpp"

namespace swarmsim::protocol::testing {

struct wire_record {
  std::size_t from;
  std::size_t to;
  std::string what;  // message name
};

class peer_pipe {
 public:
  struct link {
    std::size_t a, b;
    connection_id ca, cb;
  };
  struct in_flight {
    std::size_t to;
    connection_id conn;
    message m;
  };

  explicit peer_pipe(torrent_geometry g, peer_options o = {}) : geometry_(g), options_(o) {}

  std::size_t add_peer(bool seed) {
    const auto i = peers_.size();
    wire_peer_id id{};
    id[0] = static_cast<std::uint8_t>(i + 1);
    peers_.emplace_back(geometry_, sha1_hash{}, id, endpoint{static_cast<std::uint32_t>(i + 1), 1},
                        options_, 1000 + i);
    if (seed) peers_.back().set_have_all();
    peers_.back().start(now_);
    drain(i);
    return i;
  }

  void connect(std::size_t a, std::size_t b) { connect(a, b, peers_[a].address().port); }
  // `a` connects to `b`, which sees it come from port `from_port` of a's address
  // (an ephemeral port, as on real sockets; a's listening port is 1).
  void connect(std::size_t a, std::size_t b, std::uint16_t from_port) {
    auto ca = peers_[a].on_connected(peers_[b].address(), true, now_);
    auto cb = peers_[b].on_connected(endpoint{peers_[a].address().address, from_port}, false, now_);
    ASSERT_TRUE(ca && cb) << "connection refused";
    links_.push_back({a, b, *ca, *cb});
    drain(a);
    drain(b);
  }

  // Delivers everything in flight, then pulls one block per uploading connection.
  // Returns false when nothing moved.
  bool step() {
    bool moved = false;
    now_ += std::chrono::milliseconds(10);
    std::deque<in_flight> batch;
    batch.swap(flight_);
    for (auto& f : batch) {
      if (const auto* piece = std::get_if<msg::piece>(&f.m); piece && !peers_[f.to].find(f.conn))
        dropped_payload_ += piece->length;  // the receiver closed the connection meanwhile
      deliver(f);
      drain(f.to);
      moved = true;
    }
    for (const auto& l : links_) {
      for (int side = 0; side < 2; ++side) {
        const std::size_t from = side ? l.b : l.a;
        const connection_id c = side ? l.cb : l.ca;
        if (auto blk = peers_[from].next_upload(c, now_)) {
          route(from, c, message{std::move(*blk)});
          moved = true;
        }
      }
    }
    for (std::size_t i = 0; i < peers_.size(); ++i) {
      if (peers_[i].next_deadline() <= now_) {
        peers_[i].on_deadline(now_);
        drain(i);
      }
    }
    return moved;
  }

  void run(int max_steps = 100000) {
    for (int i = 0; i < max_steps && step(); ++i) {
    }
  }

  peer& operator[](std::size_t i) { return peers_[i]; }
  // Carries out what peer `i` asked for outside a step (after a direct call).
  void flush(std::size_t i) { drain(i); }
  const std::vector<wire_record>& log() const { return log_; }
  std::vector<peer_action>& actions(std::size_t i) { return actions_[i]; }
  time_point now() const { return now_; }
  // Block payload that arrived on connections the receiver had already closed.
  std::uint64_t dropped_payload() const { return dropped_payload_; }
  void advance(duration d) { now_ += d; }
  // Messages delivered, and those of them that moved the receiver's deadline
  // (each with an action, or the delivery fails the test: peer invariant 8).
  std::size_t deliveries() const { return deliveries_; }
  std::size_t deadline_moves() const { return deadline_moves_; }

 private:
  void drain(std::size_t i) {
    if (actions_.size() <= i) actions_.resize(i + 1);
    std::vector<peer_action> acts;
    peers_[i].drain_actions(acts);
    for (auto& a : acts) {
      if (auto* s = std::get_if<action::send>(&a)) route(i, s->conn, s->msg);
      if (auto* h = std::get_if<action::broadcast_have>(&a))
        for (const connection_id c : h->to)
          route(i, c, msg::have{h->piece});
      actions_[i].push_back(a);
    }
  }

  void deliver(const in_flight& f) {
    peer& to = peers_[f.to];
    const time_point deadline = to.next_deadline();
    to.on_message(f.conn, f.m, now_);
    ++deliveries_;
    if (to.next_deadline() == deadline) return;
    ++deadline_moves_;
    if (!to.has_actions())
      ADD_FAILURE() << "a " << name(f.m) << " message moved the deadline without an action";
  }

  void route(std::size_t from, connection_id c, const message& m) {
    for (const auto& l : links_) {
      if (l.a == from && l.ca == c) {
        push(from, l.b, l.cb, m);
        return;
      }
      if (l.b == from && l.cb == c) {
        push(from, l.a, l.ca, m);
        return;
      }
    }
    ADD_FAILURE() << "message on an unknown connection";
  }

  void push(std::size_t from, std::size_t to, connection_id c, const message& m) {
    log_.push_back({from, to, std::string(name(m))});
    flight_.push_back({to, c, m});
  }

 private:
  torrent_geometry geometry_;
  peer_options options_;
  std::deque<peer> peers_;
  std::vector<link> links_;
  std::deque<in_flight> flight_;
  std::vector<wire_record> log_;
  std::vector<std::vector<peer_action>> actions_;
  time_point now_{};
  std::uint64_t dropped_payload_ = 0;
  std::size_t deliveries_ = 0;
  std::size_t deadline_moves_ = 0;
};

}  // namespace swarmsim::protocol::testing
