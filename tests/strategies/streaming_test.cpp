// strategies/streaming: the pickers for viewers, against a piece picker with
// chosen availabilities and, where they read it, a playback.

#include "strategies/streaming/streaming.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "protocol/piece_picker.hpp"
#include "protocol/playback.hpp"
#include "protocol/strategy_registry.hpp"
#include "strategies/register.hpp"

namespace swarmsim::protocol {
namespace {

using std::chrono::seconds;

constexpr requester peer_a{1};
constexpr std::uint32_t blocks_per_piece = 2;
constexpr std::uint32_t piece_size = blocks_per_piece * default_block_size;

torrent_geometry geometry_of(std::uint32_t pieces) {
  return torrent_geometry(std::uint64_t{pieces} * piece_size, piece_size);
}

piece_picker picker_of(const strategy_info& info, std::uint32_t pieces,
                       const strategy_params& given = {}, std::uint64_t seed = 1) {
  picker_options o;
  o.policy = {&info, *resolve(info, given).params};
  return piece_picker(geometry_of(pieces), o, seed);
}

// A bitfield of `n` pieces holding [from, to).
bitfield range(std::uint32_t n, std::uint32_t from, std::uint32_t to) {
  bitfield b(n);
  for (std::uint32_t p = from; p < to; ++p)
    b.set(piece_index{p});
  return b;
}

// The piece the next pick of one piece's blocks starts.
std::uint32_t next_piece(piece_picker& picker, const bitfield& remote) {
  std::vector<block_ref> out;
  if (picker.pick(remote, blocks_per_piece, peer_a, out) == 0) return ~0u;
  return out.front().piece.value();
}

TEST(streaming, bitos_draws_from_the_high_priority_window_with_probability_p) {
  constexpr std::uint32_t n = 40;
  const bitfield remote(n, true);
  for (const double p : {1.0, 0.0}) {
    strategy_params given;
    given.set("window", std::uint64_t{4});
    given.set("p", p);
    piece_picker picker = picker_of(strategies::bitos_info(), n, given);
    for (std::uint32_t k = 0; k < 4; ++k)
      picker.set_have(piece_index{k});  // the playback point is piece 4
    picker.inc_availability(remote);
    picker.inc_availability(range(n, 0, 30));  // pieces 30.. are the rarest
    picker.inc_availability(range(n, 0, 6));   // in the window, 6 and 7 are
    const std::uint32_t first = next_piece(picker, remote);
    if (p == 1.0) {
      EXPECT_TRUE(first == 6 || first == 7) << first;
      const std::uint32_t second = next_piece(picker, remote);
      EXPECT_EQ(first + second, 13u);  // the other one of 6 and 7
      const std::uint32_t third = next_piece(picker, remote);
      EXPECT_TRUE(third == 4 || third == 5) << third;
    } else {
      EXPECT_GE(first, 30u);  // rarest first over the rest
    }
    EXPECT_NO_THROW(picker.check_invariants());
  }
}

TEST(streaming, bitos_window_counts_missing_pieces_from_the_playback_point) {
  constexpr std::uint32_t n = 20;
  const bitfield remote(n, true);
  strategy_params given;
  given.set("window", std::uint64_t{2});
  given.set("p", 1.0);
  piece_picker picker = picker_of(strategies::bitos_info(), n, given);
  // Had: 0, 2, 3. The window of two missing pieces from 1 is {1, 4}.
  for (const std::uint32_t k : {0u, 2u, 3u})
    picker.set_have(piece_index{k});
  picker.inc_availability(remote);
  std::vector<block_ref> out;
  picker.pick(remote, 2 * blocks_per_piece, peer_a, out);
  std::vector<std::uint32_t> pieces;
  for (const block_ref b : out)
    if (pieces.empty() || pieces.back() != b.piece.value()) pieces.push_back(b.piece.value());
  std::sort(pieces.begin(), pieces.end());
  EXPECT_EQ(pieces, (std::vector<std::uint32_t>{1, 4}));
}

TEST(streaming, sequential_fallback_goes_in_order_only_while_the_next_pieces_are_on_offer) {
  constexpr std::uint32_t n = 20;
  strategy_params given;
  given.set("window", std::uint64_t{8});
  piece_picker picker = picker_of(strategies::sequential_fallback_info(), n, given);
  const bitfield remote = range(n, 10, n);
  picker.inc_availability(remote);
  picker.inc_availability(range(n, 10, 17));  // 17, 18, 19 are the rarest
  // Nobody has pieces 0..7: rarest first.
  const std::uint32_t first = next_piece(picker, remote);
  EXPECT_GE(first, 17u);
  // Another neighbour has piece 3: in index order, from what this remote has.
  picker.inc_availability(range(n, 3, 4));
  EXPECT_EQ(next_piece(picker, remote), 10u);
  EXPECT_EQ(next_piece(picker, remote), 11u);
  EXPECT_NO_THROW(picker.check_invariants());
}

TEST(streaming, hybrid_goes_earliest_first_on_a_short_buffer_and_rarest_first_on_a_long_one) {
  constexpr std::uint32_t n = 60;
  const bitfield remote(n, true);
  playback_options po;
  po.bitrate = piece_size;  // one second per piece
  po.start_buffer = seconds(5);
  for (const std::uint32_t had : {3u, 40u}) {
    piece_picker picker = picker_of(strategies::hybrid_info(), n);  // low 10 s, high 30 s
    for (std::uint32_t k = 0; k < had; ++k)
      picker.set_have(piece_index{k});
    picker.inc_availability(remote);
    picker.inc_availability(range(n, 0, 55));  // 55.. are the rarest
    const time_point now{seconds(1)};
    playback pb(geometry_of(n), po, time_point{});
    pb.advance(now, picker.have_bits());
    picker.set_context({&pb, now, {}});
    const std::uint32_t first = next_piece(picker, remote);
    if (had == 3)
      EXPECT_EQ(first, 3u) << "3 s of buffer: earliest first";
    else
      EXPECT_GE(first, 55u) << "40 s of buffer: rarest first";
  }
}

// Pieces of one second at 1 s of playback each; the viewer started at 0 s.
struct deadline_setup {
  static constexpr std::uint32_t n = 60;
  explicit deadline_setup(duration urgent)
      : picker(picker_of(strategies::deadline_info(), n, params(urgent))) {
    picker.set_have(piece_index{0});
    picker.inc_availability(remote);
    picker.inc_availability(range(n, 0, 55));      // 55.. are the rarest
    pb.advance(time_point{}, picker.have_bits());  // playing piece 0, piece 1 due at 1 s
  }
  piece_picker picker;
  playback pb{geometry_of(n), options(), time_point{}};
  bitfield remote{n, true};

  static strategy_params params(duration urgent) {
    strategy_params p;
    p.set("window", duration{seconds(5)});
    p.set("urgent", urgent);
    return p;
  }
  static playback_options options() {
    playback_options o;
    o.bitrate = piece_size;
    o.start_pieces = 1;
    return o;
  }
  std::vector<block_ref> pick(requester who, piece_picker::remote_view remote,
                              std::uint32_t blocks = blocks_per_piece) {
    picker.set_context({&pb, time_point{}, remote});
    std::vector<block_ref> out;
    picker.pick(remote_bits(), blocks, who, out);
    return out;
  }
  const bitfield& remote_bits() const { return remote; }
};

TEST(streaming, deadline_takes_due_pieces_in_order_from_remotes_with_a_short_queue) {
  deadline_setup d(duration{});  // no duplicates
  // An idle remote: the next piece due.
  EXPECT_EQ(d.pick(peer_a, {}).front().piece.value(), 1u);
  // A remote whose queue takes 100 s to empty, or a slow one: rarest first.
  EXPECT_GE(d.pick(requester{3}, {1000, 6}).front().piece.value(), 55u);
  EXPECT_GE(d.pick(requester{4}, {1e9, 0, true}).front().piece.value(), 55u);
  // A fast remote with a short queue: the next piece due.
  EXPECT_EQ(d.pick(requester{5}, {1e9, 2}).front().piece.value(), 2u);
  EXPECT_NO_THROW(d.picker.check_invariants());
}

TEST(streaming, deadline_asks_another_remote_for_a_piece_due_soon) {
  deadline_setup d(seconds(2));
  ASSERT_EQ(d.pick(peer_a, {}).front().piece.value(), 1u);  // both blocks of piece 1
  // Piece 1 is due in 1 s (urgent: 2 s), all its blocks asked of peer_a: peer_b
  // is asked for them too, then for the next piece due.
  const auto out = d.pick(requester{2}, {}, 2 * blocks_per_piece);
  ASSERT_EQ(out.size(), 2u * blocks_per_piece);
  EXPECT_EQ(out[0].piece.value(), 1u);
  EXPECT_EQ(out[1].piece.value(), 1u);
  EXPECT_EQ(d.picker.num_requesters(out[0]), 2u);
  EXPECT_EQ(out[2].piece.value(), 2u);
  EXPECT_NO_THROW(d.picker.check_invariants());
  // A block received from one requester cancels the other.
  const auto got = d.picker.mark_received(out[0], requester{2});
  EXPECT_TRUE(got.accepted);
  EXPECT_EQ(got.cancel, std::vector<requester>{peer_a});
  EXPECT_NO_THROW(d.picker.check_invariants());
}

TEST(streaming, the_streaming_pickers_are_registered) {
  strategy_registry r = builtin_strategies();
  strategies::register_all(r);
  for (const char* name : {"sequential_fallback", "bitos", "hybrid", "deadline"})
    EXPECT_NE(r.find(strategy_kind::picker, name), nullptr) << name;
}

}  // namespace
}  // namespace swarmsim::protocol
