// One local peer driven like a driver would drive it, by random sequences of
// connections made, refused and lost, every wire message (valid, invalid, late,
// unrequested), timers at advancing times, tracker responses, upload pulls and
// piece checks, against scripted remotes. After every step the peer's
// invariants hold and so do the properties a driver sees: no block pulled while
// the peer chokes, every piece completed once, no more connections than
// max_connections, no action on a connection that is closed.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "protocol/peer.hpp"
#include "protocol/picker_policies.hpp"

namespace swarmsim::protocol {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// 12 pieces of 2 blocks, the last one short (1 block of 4 KiB).
const torrent_geometry geometry(11 * 32768 + 4096, 32768, 16384);
const sha1_hash info_hash{1, 2, 3};
constexpr std::uint32_t num_remotes = 8;
constexpr int steps_per_seed = 250;
const endpoint self{1, 6881};

endpoint remote_address(std::uint32_t i) {
  return endpoint{100 + i, 6881};
}

// A scripted remote on one connection: what it has and claims, and what the
// local peer told it.
struct remote_conn {
  std::uint32_t remote = 0;  // index into the remotes' content
  bool handshaken = false;   // the remote sent its handshake
  bool spoke = false;        // the remote sent a message after it
  bool choked_by_peer = true;
  bool unchoked_peer = false;        // the remote unchoked the local peer
  bitfield claimed;                  // what the remote told the peer it has
  std::vector<block_ref> requested;  // the peer's requests the remote has not answered
};

// What the random runs exercised, so that a run that does nothing fails.
struct coverage {
  std::uint32_t connections = 0;     // opened
  std::uint32_t closed_by_peer = 0;  // action::disconnect
  std::uint32_t requests = 0;        // sent by the peer
  std::uint32_t uploads = 0;         // blocks pulled
  std::uint32_t pieces = 0;          // completed
  std::uint32_t failed_checks = 0;
};

struct peer_setup {
  bool seed = false;
  bool super_seeding = false;
  piece_check check = piece_check::none;
  pick_policy policy = pick_policy::rarest_first;
};

class peer_run {
 public:
  peer_run(peer_setup setup, std::uint64_t seed)
      : rng_(seed), peer_(geometry, info_hash, wire_peer_id{9}, self, options(setup), seed) {
    for (std::uint32_t i = 0; i < num_remotes; ++i) {
      bitfield content(geometry.num_pieces());
      const bool is_seed = rng_() % 4 == 0;
      for (std::uint32_t p = 0; p < geometry.num_pieces(); ++p)
        if (is_seed || rng_() % 2 == 0) content.set(p);
      contents_.push_back(content);
    }
    if (setup.seed) {
      peer_.set_have_all();
    } else {
      for (std::uint32_t p = 0; p < geometry.num_pieces(); ++p)
        if (rng_() % 4 == 0) peer_.set_have(piece_index{p});
    }
    peer_.start(now_);
    apply_actions();
  }

  void step() {
    ++steps_;
    now_ += milliseconds(rng_() % 3000);
    if (rng_() % 50 == 0) now_ += seconds(60 + rng_() % 600);
    last_op_.clear();
    const auto op = rng_() % 100;
    if (op < 8) {
      connect_incoming();
    } else if (op < 16) {
      resolve_connect();
    } else if (op < 20) {
      disconnect();
    } else if (op < 62) {
      deliver_message();
    } else if (op < 70) {
      answer_requests();
    } else if (op < 80) {
      last_op_ = "deadline";
      peer_.on_deadline(now_);
    } else if (op < 84) {
      tracker_response();
    } else if (op < 94) {
      pull_upload();
    } else if (op < 99) {
      check_piece();
    } else if (steps_ * 10 > steps_per_seed * 9) {  // late in the run only
      last_op_ = "stop";
      peer_.stop(now_);
    }
    apply_actions();
    peer_.check_invariants();
    check_driver_view();
  }

  const std::string& last_op() const { return last_op_; }
  const coverage& covered() const { return covered_; }

 private:
  static peer_options options(peer_setup setup) {
    peer_options o;
    o.pipeline_depth = 3;
    o.max_connections = 5;
    o.max_initiate = 3;
    o.min_peers = 3;
    o.inactivity_timeout = seconds(120);
    o.reconnect_delay = seconds(20);
    o.check = setup.check;
    o.max_hash_failures = 1;
    o.picker.policy = ref_of(setup.policy);
    o.picker.random_first_pieces = 2;
    o.choker.upload_slots = 2;
    o.choker.optimistic_slots = 1;
    o.choker.super_seeding = setup.super_seeding;
    return o;
  }

  std::uint32_t random_remote() { return static_cast<std::uint32_t>(rng_() % num_remotes); }
  piece_index random_piece() {
    return piece_index{static_cast<std::uint32_t>(rng_() % geometry.num_pieces())};
  }

  void open(connection_id c, std::uint32_t remote) {
    remote_conn r;
    r.remote = remote;
    r.claimed = bitfield(geometry.num_pieces());
    ASSERT_FALSE(conns_.contains(c)) << "connection id " << c.value() << " given twice";
    ++covered_.connections;
    conns_.emplace(c, std::move(r));
  }

  void connect_incoming() {
    const std::uint32_t remote = random_remote();
    last_op_ = "incoming from " + std::to_string(remote);
    if (const auto c = peer_.on_connected(remote_address(remote), false, now_)) open(*c, remote);
  }

  void resolve_connect() {
    if (pending_.empty()) return;
    const auto i = rng_() % pending_.size();
    const endpoint e = pending_[i];
    pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
    const std::uint32_t remote = e.address - 100;
    if (rng_() % 4 == 0) {
      last_op_ = "connect to " + std::to_string(remote) + " failed";
      peer_.on_connect_failed(e, now_);
    } else {
      last_op_ = "connected to " + std::to_string(remote);
      if (const auto c = peer_.on_connected(e, true, now_)) open(*c, remote);
    }
  }

  std::optional<connection_id> random_conn() {
    if (conns_.empty()) return std::nullopt;
    auto it = conns_.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(rng_() % conns_.size()));
    return it->first;
  }

  void disconnect() {
    const auto c = random_conn();
    if (!c) return;
    last_op_ = "remote closed " + std::to_string(c->value());
    conns_.erase(*c);
    peer_.on_disconnected(*c, now_);
  }

  void tracker_response() {
    last_op_ = "tracker response";
    announce_response r;
    r.interval = seconds(rng_() % 2 ? 300 : 30);
    r.min_interval = seconds(rng_() % 2 ? 60 : 5);
    for (std::uint32_t i = 0; i < num_remotes; ++i)
      if (rng_() % 2 == 0)
        r.peers.push_back({wire_peer_id{static_cast<std::uint8_t>(i + 20)}, remote_address(i)});
    if (rng_() % 4 == 0) r.peers.push_back({wire_peer_id{9}, self});
    peer_.on_tracker_response(r, now_);
  }

  void pull_upload() {
    const auto c = random_conn();
    if (!c) return;
    last_op_ = "next_upload on " + std::to_string(c->value());
    const auto block = peer_.next_upload(*c, now_);
    if (!block) return;
    const remote_conn& r = conns_.at(*c);
    ++covered_.uploads;
    EXPECT_FALSE(r.choked_by_peer)
        << "a block pulled on connection " << c->value() << " while the peer chokes it";
    EXPECT_TRUE(peer_.have().test(block->index)) << "piece " << block->index.value();
  }

  void check_piece() {
    if (checks_.empty()) return;
    const auto i = rng_() % checks_.size();
    const piece_index p = checks_[i];
    checks_.erase(checks_.begin() + static_cast<std::ptrdiff_t>(i));
    const bool pass = rng_() % 4 != 0;
    last_op_ = "piece " + std::to_string(p.value()) + (pass ? " passed" : " failed");
    covered_.failed_checks += !pass;
    peer_.on_piece_checked(p, pass ? piece_verdict::passed : piece_verdict::failed, now_);
  }

  void deliver_message() {
    const auto c = random_conn();
    if (!c) return;
    remote_conn& r = conns_.at(*c);
    const message m = r.handshaken || rng_() % 30 == 0 ? random_message(r) : handshake(r);
    if (std::holds_alternative<msg::handshake>(m)) r.handshaken = true;
    last_op_ = std::string(name(m)) + " on " + std::to_string(c->value());
    peer_.on_message(*c, m, now_);
  }

  // A well-behaved remote's turn: it sends every block we asked it for, in
  // order, if it unchoked us, and asks for a block if we unchoke it.
  void answer_requests() {
    const auto c = random_conn();
    if (!c) return;
    remote_conn& r = conns_.at(*c);
    if (!r.handshaken) return;
    last_op_ = "blocks and a request on " + std::to_string(c->value());
    if (r.unchoked_peer) {
      std::vector<block_ref> asked;
      asked.swap(r.requested);
      for (const block_ref b : asked) {
        if (!peer_.find(*c)) return;
        peer_.on_message(
            *c, msg::piece{b.piece, geometry.block_offset(b), geometry.block_length(b), {}}, now_);
      }
    }
    if (!r.choked_by_peer && peer_.find(*c)) peer_.on_message(*c, request(false), now_);
  }

  message handshake(const remote_conn& r) {
    if (rng_() % 30 == 0) return msg::handshake{sha1_hash{7}, wire_peer_id{}, {}};  // wrong torrent
    return msg::handshake{info_hash, wire_peer_id{static_cast<std::uint8_t>(r.remote + 20)}, {}};
  }

  // Mostly what a well-behaved remote sends; now and then a message BEP 3
  // forbids (the peer closes the connection for it).
  message random_message(remote_conn& r) {
    const bool first = !r.spoke;
    r.spoke = true;
    const bool broken = rng_() % 40 == 0;
    if (first && rng_() % 2 == 0) {
      r.claimed = contents_[r.remote];
      return msg::bitfield{r.claimed};
    }
    switch (rng_() % 16) {
      case 0:
        if (broken && rng_() % 2 == 0) return msg::bitfield{bitfield(geometry.num_pieces() + 1)};
        if (broken) return msg::bitfield{r.claimed};  // too late
        [[fallthrough]];
      case 1:
      case 2: {
        if (broken) return msg::have{piece_index{geometry.num_pieces()}};
        const piece_index p = random_piece();
        r.claimed.set(p);
        return msg::have{p};
      }
      case 3:
        r.unchoked_peer = false;
        r.requested.clear();  // a choking remote discards the requests (BEP 3)
        return msg::choke{};
      case 4:
      case 5:
        r.unchoked_peer = true;
        return msg::unchoke{};
      case 6:
      case 7:
        return msg::interested{};
      case 8:
        return msg::not_interested{};
      case 9:
      case 10:
      case 11:
        return request(broken);
      case 12:
      case 13:
        return piece(r, broken);
      case 14: {
        const piece_index p = random_piece();
        return msg::cancel{p, 0, geometry.block_length(block_ref{p, block_index{0}})};
      }
      default:
        return msg::keep_alive{};
    }
  }

  block_ref random_block(piece_index p) {
    return block_ref{p,
                     block_index{static_cast<std::uint32_t>(rng_() % geometry.blocks_in_piece(p))}};
  }

  // A block of a piece the peer has, else a broken request.
  message request(bool broken) {
    std::vector<std::uint32_t> had;
    peer_.have().for_each_set([&](std::uint32_t p) { had.push_back(p); });
    if (had.empty() || broken) {
      const piece_index p = random_piece();
      if (rng_() % 2 == 0) return msg::request{p, 1, 100};  // not a block
      const block_ref b = random_block(p);
      return msg::request{p, geometry.block_offset(b), geometry.block_length(b)};
    }
    const block_ref b = random_block(piece_index{had[rng_() % had.size()]});
    return msg::request{b.piece, geometry.block_offset(b), geometry.block_length(b)};
  }

  // A block the peer asked for, else (or now and then) any block: one nobody
  // asked this remote for is wasted (peer invariant 12).
  message piece(remote_conn& r, bool broken) {
    if (!r.requested.empty() && !broken && rng_() % 20 != 0) {
      const auto i = rng_() % r.requested.size();
      const block_ref b = r.requested[i];
      r.requested.erase(r.requested.begin() + static_cast<std::ptrdiff_t>(i));
      return msg::piece{b.piece, geometry.block_offset(b), geometry.block_length(b), {}};
    }
    const piece_index p = random_piece();
    if (broken) return msg::piece{p, 1, 100, {}};  // not a block
    const block_ref b = random_block(p);           // unrequested, perhaps had already
    return msg::piece{p, geometry.block_offset(b), geometry.block_length(b), {}};
  }

  // Carries out the peer's actions as a driver would.
  void apply_actions() {
    peer_.drain_actions(actions_);
    for (const peer_action& a : actions_) {
      if (const auto* s = std::get_if<action::send>(&a)) {
        const auto it = conns_.find(s->conn);
        ASSERT_NE(it, conns_.end())
            << name(s->msg) << " sent on closed connection " << s->conn.value();
        on_sent(it->second, s->msg);
      } else if (const auto* u = std::get_if<action::upload_ready>(&a)) {
        ASSERT_TRUE(conns_.contains(u->conn)) << "upload_ready on closed " << u->conn.value();
      } else if (const auto* d = std::get_if<action::disconnect>(&a)) {
        ASSERT_TRUE(conns_.contains(d->conn)) << "disconnect of closed " << d->conn.value();
        conns_.erase(d->conn);
        ++covered_.closed_by_peer;
      } else if (const auto* c = std::get_if<action::connect>(&a)) {
        ASSERT_NE(c->address, self) << "the peer connects to itself";
        pending_.push_back(c->address);
      } else if (const auto* done = std::get_if<action::piece_completed>(&a)) {
        ASSERT_TRUE(completed_.insert(done->piece.value()).second)
            << "piece " << done->piece.value() << " completed twice";
        ++covered_.pieces;
        ASSERT_TRUE(peer_.have().test(done->piece));
      } else if (const auto* have = std::get_if<action::broadcast_have>(&a)) {
        ASSERT_TRUE(announced_.insert(have->piece.value()).second)
            << "piece " << have->piece.value() << " announced twice (invariant 4)";
      } else if (const auto* check = std::get_if<action::check_piece>(&a)) {
        checks_.push_back(check->piece);
      } else if (std::holds_alternative<action::download_completed>(a)) {
        ASSERT_FALSE(download_completed_) << "the download completed twice";
        download_completed_ = true;
      }
    }
  }

  void on_sent(remote_conn& r, const message& m) {
    if (peer_.options().choker.super_seeding) {
      ASSERT_FALSE(std::holds_alternative<msg::bitfield>(m)) << "a super-seed sent a bitfield";
    }
    if (std::holds_alternative<msg::choke>(m)) r.choked_by_peer = true;
    if (std::holds_alternative<msg::unchoke>(m)) r.choked_by_peer = false;
    if (const auto* q = std::get_if<msg::request>(&m)) {
      const auto b = geometry.block_at(q->index, q->begin, q->length);
      ASSERT_TRUE(b) << "the peer requested a block that is not one";
      ASSERT_TRUE(r.claimed.test(q->index))
          << "the peer requested piece " << q->index.value() << " the remote never announced";
      r.requested.push_back(*b);
      ++covered_.requests;
    }
    if (const auto* x = std::get_if<msg::cancel>(&m)) {
      const auto b = geometry.block_at(x->index, x->begin, x->length);
      ASSERT_TRUE(b);
      std::erase(r.requested, *b);
    }
  }

  void check_driver_view() {
    ASSERT_LE(peer_.num_connections(), peer_.options().max_connections);
    ASSERT_EQ(peer_.num_connections(), conns_.size())
        << "the peer and the driver disagree on the open connections";
    for (const auto& [c, r] : conns_) {
      const session* s = peer_.find(c);
      ASSERT_TRUE(s) << "connection " << c.value() << " is open for the driver only";
      ASSERT_EQ(s->am_choking, r.choked_by_peer) << "connection " << c.value();
    }
  }

  std::mt19937_64 rng_;
  peer peer_;
  time_point now_ = time_origin;
  std::vector<bitfield> contents_;              // per remote
  std::map<connection_id, remote_conn> conns_;  // open connections, as the driver sees them
  std::vector<endpoint> pending_;               // action::connect not yet carried out
  std::vector<piece_index> checks_;             // action::check_piece not yet answered
  std::set<std::uint32_t> completed_;
  std::set<std::uint32_t> announced_;  // broadcast_have
  bool download_completed_ = false;
  std::vector<peer_action> actions_;
  std::string last_op_;
  coverage covered_;
  int steps_ = 0;
};

coverage run_seeds(peer_setup setup, std::uint64_t first_seed) {
  coverage total;
  for (std::uint64_t seed = first_seed; seed < first_seed + 20; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    peer_setup s = setup;
    s.policy = seed % 3 == 0   ? pick_policy::sequential
               : seed % 3 == 1 ? pick_policy::rarest_first
                               : pick_policy::random;
    peer_run run(s, seed);
    for (int i = 0; i < steps_per_seed; ++i) {
      EXPECT_NO_THROW(run.step()) << "step " << i << " after " << run.last_op();
      if (::testing::Test::HasFailure()) {
        ADD_FAILURE() << "step " << i << " after " << run.last_op();
        return total;
      }
    }
    const coverage& c = run.covered();
    total.connections += c.connections;
    total.closed_by_peer += c.closed_by_peer;
    total.requests += c.requests;
    total.uploads += c.uploads;
    total.pieces += c.pieces;
    total.failed_checks += c.failed_checks;
  }
  return total;
}

TEST(peer_property, a_leecher_keeps_its_invariants_under_random_events) {
  const coverage c = run_seeds({}, 1);
  EXPECT_GT(c.connections, 100u);
  EXPECT_GT(c.closed_by_peer, 20u);
  EXPECT_GT(c.requests, 100u);
  EXPECT_GT(c.uploads, 20u);
  EXPECT_GT(c.pieces, 20u);
}

TEST(peer_property, a_leecher_checking_pieces_keeps_its_invariants_under_random_events) {
  const coverage c = run_seeds({.check = piece_check::by_driver}, 101);
  EXPECT_GT(c.pieces, 20u);
  EXPECT_GT(c.failed_checks, 5u);
}

TEST(peer_property, a_seed_keeps_its_invariants_under_random_events) {
  const coverage c = run_seeds({.seed = true}, 201);
  EXPECT_GT(c.connections, 100u);
  // Random remotes often hold a slot without asking, which costs them it
  // (choker rule 10): fewer blocks leave than they would from a mainline seed.
  EXPECT_GT(c.uploads, 25u);
}

TEST(peer_property, a_super_seed_keeps_its_invariants_under_random_events) {
  const coverage c = run_seeds({.seed = true, .super_seeding = true}, 301);
  EXPECT_GT(c.connections, 100u);
  EXPECT_GT(c.uploads, 20u);
}

}  // namespace
}  // namespace swarmsim::protocol
