#include "protocol/piece_picker.hpp"
#include "protocol/picker_policies.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string_view>
#include <vector>

namespace swarmsim::protocol {
namespace {

constexpr requester peer_a{1};
constexpr requester peer_b{2};
constexpr requester peer_c{3};
constexpr requester peer_d{4};

torrent_geometry geometry_of(std::uint32_t pieces, std::uint32_t blocks_per_piece = 4) {
  const std::uint32_t piece_size = blocks_per_piece * default_block_size;
  return torrent_geometry(std::uint64_t{pieces} * piece_size, piece_size);
}

picker_options rarest_first() {
  picker_options o;
  o.random_first_pieces = 0;
  return o;
}

picker_options with_policy(pick_policy policy) {
  picker_options o = rarest_first();
  o.policy = ref_of(policy);
  return o;
}

// "2203" -> piece i is counted by as many peers as its digit (peer k, a
// bitfield, has every piece whose digit is > k).
void add_availability(piece_picker& picker, std::string_view digits) {
  const auto n = static_cast<std::uint32_t>(digits.size());
  const int most = *std::max_element(digits.begin(), digits.end()) - '0';
  for (int k = 0; k < most; ++k) {
    bitfield b(n);
    for (std::uint32_t i = 0; i < n; ++i)
      if (digits[i] - '0' > k) b.set(i);
    picker.inc_availability(b);
  }
}

std::string availability_string(const piece_picker& picker) {
  std::string s;
  for (std::uint32_t i = 0; i < picker.geometry().num_pieces(); ++i)
    s += static_cast<char>('0' + picker.availability(piece_index{i}));
  return s;
}

// The distinct pieces of a list of blocks, in order of first appearance.
std::vector<std::uint32_t> pieces_of(const std::vector<block_ref>& blocks) {
  std::vector<std::uint32_t> out;
  for (const block_ref& b : blocks)
    if (std::find(out.begin(), out.end(), b.piece.value()) == out.end())
      out.push_back(b.piece.value());
  return out;
}

// Picks one whole piece (blocks_per_piece blocks) and returns its index.
std::uint32_t pick_piece(piece_picker& picker, const bitfield& peer, requester who) {
  std::vector<block_ref> out;
  picker.pick(peer, picker.geometry().blocks_per_piece(), who, out);
  const auto pieces = pieces_of(out);
  return pieces.size() == 1 ? pieces[0] : ~0u;
}

std::vector<std::uint32_t> order_of(piece_picker& picker) {
  std::vector<std::uint32_t> out;
  for (piece_index p : picker.pick_order())
    out.push_back(p.value());
  return out;
}

bitfield seed_bits(std::uint32_t n) {
  return bitfield(n, true);
}

// --- availability ---

TEST(piece_picker, availability_counts_bitfields_haves_and_departures) {
  piece_picker picker(geometry_of(5), rarest_first(), 1);
  const auto a = bitfield::from_string("11000");
  const auto b = bitfield::from_string("10100");
  picker.inc_availability(a);
  picker.inc_availability(b);
  picker.inc_availability(piece_index{4});
  EXPECT_EQ(availability_string(picker), "21101");
  picker.dec_availability(a);
  EXPECT_EQ(availability_string(picker), "10101");
  picker.dec_availability(piece_index{4});
  picker.dec_availability(b);
  EXPECT_EQ(availability_string(picker), "00000");
}

TEST(piece_picker, a_have_reports_whether_we_have_the_piece) {
  piece_picker picker(geometry_of(3), rarest_first(), 1);
  picker.set_have(piece_index{1});
  EXPECT_FALSE(picker.inc_availability(piece_index{0}));
  EXPECT_TRUE(picker.inc_availability(piece_index{1}));
  // A piece completed by download counts as had too.
  std::vector<block_ref> out;
  const auto everyone = bitfield(3, true);
  for (int round = 0; round < 8 && !picker.have(piece_index{2}); ++round) {
    out.clear();
    picker.pick(everyone, 4, peer_a, out);
    for (const block_ref b : out)
      if (b.piece == piece_index{2}) picker.mark_received(b, peer_a);
  }
  ASSERT_TRUE(picker.have(piece_index{2}));
  EXPECT_TRUE(picker.inc_availability(piece_index{2}));
  EXPECT_FALSE(picker.inc_availability(piece_index{0}));
  picker.reset_piece(piece_index{2});  // failed its check: missing again
  EXPECT_FALSE(picker.inc_availability(piece_index{2}));
  EXPECT_FALSE(picker.inc_availability(piece_index{3}));  // out of range
  EXPECT_EQ(availability_string(picker), "212");
}

TEST(piece_picker, seeds_are_counted_once_for_every_piece) {
  piece_picker picker(geometry_of(4), rarest_first(), 1);
  add_availability(picker, "1020");
  picker.inc_seed();
  picker.inc_seed();
  EXPECT_EQ(picker.seed_count(), 2u);
  EXPECT_EQ(availability_string(picker), "3242");
  picker.dec_seed();
  EXPECT_EQ(picker.seed_count(), 1u);
  EXPECT_EQ(availability_string(picker), "2131");
}

TEST(piece_picker, a_seed_joining_or_leaving_keeps_the_order) {
  piece_picker picker(geometry_of(6), rarest_first(), 1);
  add_availability(picker, "121312");
  const auto before = order_of(picker);
  picker.inc_seed();
  picker.inc_availability(seed_bits(6));  // a full bitfield counts like a seed
  EXPECT_EQ(order_of(picker), before);
  EXPECT_EQ(availability_string(picker), "343534");
  picker.dec_seed();
  picker.dec_availability(seed_bits(6));
  EXPECT_EQ(order_of(picker), before);
}

TEST(piece_picker, full_bitfield_peer_that_loses_a_piece_and_leaves) {
  piece_picker picker(geometry_of(4), rarest_first(), 1);
  add_availability(picker, "0120");
  const bitfield full = seed_bits(4);
  picker.inc_availability(full);
  EXPECT_EQ(availability_string(picker), "1231");
  picker.dec_availability(piece_index{0});  // the full peer lost piece 0
  EXPECT_EQ(availability_string(picker), "0231");
  picker.dec_availability(bitfield::from_string("0111"));  // ... and leaves
  EXPECT_EQ(availability_string(picker), "0120");
}

TEST(piece_picker, peer_that_completes_through_haves_leaves_with_a_full_bitfield) {
  piece_picker picker(geometry_of(4), rarest_first(), 1);
  picker.inc_seed();
  add_availability(picker, "1200");
  picker.inc_availability(piece_index{2});
  picker.inc_availability(piece_index{3});  // the first peer now has every piece
  EXPECT_EQ(availability_string(picker), "2322");
  picker.dec_availability(seed_bits(4));
  EXPECT_EQ(availability_string(picker), "1211");
  EXPECT_EQ(order_of(picker).size(), 4u);
}

// --- policies ---

TEST(piece_picker, rarest_first_picks_pieces_in_order_of_availability) {
  piece_picker picker(geometry_of(7), rarest_first(), 1);
  add_availability(picker, "2223133");
  const bitfield seed = seed_bits(7);
  EXPECT_EQ(pick_piece(picker, seed, peer_a), 4u);
  std::set<std::uint32_t> twos{pick_piece(picker, seed, peer_a), pick_piece(picker, seed, peer_a),
                               pick_piece(picker, seed, peer_a)};
  EXPECT_EQ(twos, (std::set<std::uint32_t>{0, 1, 2}));
  std::set<std::uint32_t> threes{pick_piece(picker, seed, peer_a), pick_piece(picker, seed, peer_a),
                                 pick_piece(picker, seed, peer_a)};
  EXPECT_EQ(threes, (std::set<std::uint32_t>{3, 5, 6}));
}

TEST(piece_picker, rarest_first_picks_the_rarest_piece_the_peer_has) {
  piece_picker picker(geometry_of(7), rarest_first(), 1);
  add_availability(picker, "3323133");
  EXPECT_EQ(pick_piece(picker, bitfield::from_string("1110011"), peer_a), 2u);
}

TEST(piece_picker, a_have_makes_a_piece_less_rare) {
  piece_picker picker(geometry_of(3), rarest_first(), 1);
  add_availability(picker, "212");
  EXPECT_EQ(order_of(picker).front(), 1u);
  picker.inc_availability(piece_index{1});
  picker.inc_availability(piece_index{1});
  EXPECT_EQ(order_of(picker).back(), 1u);
  picker.dec_availability(piece_index{0});
  EXPECT_EQ(order_of(picker).front(), 0u);
}

TEST(piece_picker, pieces_we_have_are_never_picked) {
  piece_picker picker(geometry_of(3), rarest_first(), 1);
  add_availability(picker, "122");
  picker.set_have(piece_index{0});
  EXPECT_EQ(picker.num_missing(), 2u);
  std::vector<block_ref> out;
  picker.pick(seed_bits(3), 100, peer_a, out);
  auto pieces = pieces_of(out);
  std::sort(pieces.begin(), pieces.end());
  EXPECT_EQ(pieces, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(out.size(), 8u);
}

TEST(piece_picker, random_tie_break_spreads_among_equals_and_depends_only_on_the_seed) {
  constexpr std::uint32_t n = 8;
  std::map<std::uint32_t, int> first_picks;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    piece_picker picker(geometry_of(n), rarest_first(), seed);
    add_availability(picker, "11111111");
    ++first_picks[pick_piece(picker, seed_bits(n), peer_a)];
  }
  EXPECT_EQ(first_picks.size(), n);
  for (const auto& [piece, times] : first_picks)
    EXPECT_GE(times, 5) << "piece " << piece;

  const auto sequence = [](std::uint64_t seed) {
    piece_picker picker(geometry_of(n), rarest_first(), seed);
    add_availability(picker, "12121212");
    picker.inc_availability(piece_index{3});
    std::vector<std::uint32_t> picked;
    for (std::uint32_t i = 0; i < n; ++i)
      picked.push_back(pick_piece(picker, seed_bits(n), peer_a));
    return picked;
  };
  EXPECT_EQ(sequence(7), sequence(7));
  bool differs = false;
  for (std::uint64_t seed = 8; seed < 20 && !differs; ++seed)
    differs = sequence(seed) != sequence(7);
  EXPECT_TRUE(differs);
}

TEST(piece_picker, sequential_picks_the_lowest_index_first) {
  piece_picker picker(geometry_of(6), with_policy(pick_policy::sequential), 1);
  add_availability(picker, "333121");
  const auto peer = bitfield::from_string("011111");
  EXPECT_EQ(pick_piece(picker, peer, peer_a), 1u);
  EXPECT_EQ(pick_piece(picker, peer, peer_a), 2u);
  picker.set_have(piece_index{3});
  EXPECT_EQ(pick_piece(picker, peer, peer_a), 4u);
  EXPECT_EQ(pick_piece(picker, peer, peer_a), 5u);
  EXPECT_EQ(pick_piece(picker, peer, peer_a), ~0u);
  EXPECT_EQ(pick_piece(picker, seed_bits(6), peer_a), 0u);
}

TEST(piece_picker, random_policy_ignores_availability_and_depends_on_the_seed) {
  constexpr std::uint32_t n = 6;
  std::set<std::vector<std::uint32_t>> orders;
  std::map<std::uint32_t, int> first_picks;
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    piece_picker picker(geometry_of(n), with_policy(pick_policy::random), seed);
    add_availability(picker, "123456");
    std::vector<std::uint32_t> picked;
    for (std::uint32_t i = 0; i < n; ++i)
      picked.push_back(pick_piece(picker, seed_bits(n), peer_a));
    std::vector<std::uint32_t> sorted = picked;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5}));
    ++first_picks[picked[0]];
    orders.insert(picked);
  }
  EXPECT_EQ(first_picks.size(), n);  // the rarest piece is not favoured
  EXPECT_GT(orders.size(), 30u);
}

TEST(piece_picker, random_first_pieces_until_we_have_that_many) {
  picker_options options;
  options.random_first_pieces = 2;
  std::set<std::uint32_t> first_picks;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    piece_picker picker(geometry_of(6), options, seed);
    add_availability(picker, "134444");
    first_picks.insert(pick_piece(picker, seed_bits(6), peer_a));
  }
  EXPECT_GT(first_picks.size(), 3u);  // not always the rarest piece 0

  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    piece_picker picker(geometry_of(6), options, seed);
    add_availability(picker, "134444");
    picker.set_have(piece_index{2});
    picker.set_have(piece_index{3});  // two pieces had: rarest first from now on
    EXPECT_EQ(pick_piece(picker, seed_bits(6), peer_a), 0u);
    EXPECT_EQ(pick_piece(picker, seed_bits(6), peer_a), 1u);
  }
}

TEST(piece_picker, partial_pieces_the_peer_has_come_first) {
  for (const bool finish_first : {true, false}) {
    picker_options options = rarest_first();
    options.finish_started_first = finish_first;
    piece_picker picker(geometry_of(3), options, 1);
    add_availability(picker, "312");
    std::vector<block_ref> out;
    picker.pick(bitfield::from_string("100"), 2, peer_a, out);  // half of piece 0
    EXPECT_EQ(picker.num_partial_pieces(), 1u);
    out.clear();
    picker.pick(bitfield::from_string("101"), 2, peer_b, out);
    EXPECT_EQ(pieces_of(out), std::vector<std::uint32_t>{finish_first ? 0u : 2u})
        << "finish_started_first " << finish_first;
  }
}

// Mainline (PiecePicker.next(seed=True), its `seedstarted` list): a seed is asked
// to finish only pieces started from a seed; a piece started from a leecher is
// left to leechers, and the seed's blocks go to the rarest piece.
TEST(piece_picker, a_seed_finishes_only_pieces_started_from_a_seed) {
  piece_picker picker(geometry_of(4), rarest_first(), 1);
  add_availability(picker, "3122");
  std::vector<block_ref> out;
  picker.pick(bitfield::from_string("1000"), 2, peer_a, out);  // half of piece 0, from a leecher
  out.clear();
  picker.pick(seed_bits(4), 2, peer_b, out);  // not piece 0: the rarest, piece 1
  EXPECT_EQ(pieces_of(out), std::vector<std::uint32_t>{1u});
  out.clear();
  picker.pick(seed_bits(4), 2, peer_c, out);  // another seed finishes piece 1 first
  EXPECT_EQ(pieces_of(out), std::vector<std::uint32_t>{1u});
  out.clear();
  picker.pick(bitfield::from_string("1010"), 2, peer_d, out);  // a leecher: piece 0
  EXPECT_EQ(pieces_of(out), std::vector<std::uint32_t>{0u});
  EXPECT_EQ(picker.num_partial_pieces(), 0u);
}

TEST(piece_picker, last_piece_is_short_and_so_is_its_last_block) {
  const std::uint32_t piece_size = 4 * default_block_size;
  const torrent_geometry geometry(2 * std::uint64_t{piece_size} + default_block_size + 100,
                                  piece_size);
  piece_picker picker(geometry, rarest_first(), 1);
  picker.inc_seed();
  std::vector<block_ref> out;
  EXPECT_EQ(picker.pick(seed_bits(3), 100, peer_a, out), 10u);
  std::vector<block_ref> last;
  for (const block_ref& b : out)
    if (b.piece.value() == 2) last.push_back(b);
  ASSERT_EQ(last.size(), 2u);
  std::sort(last.begin(), last.end());
  EXPECT_EQ(geometry.block_length(last[1]), 100u);
  EXPECT_FALSE(picker.mark_received(block_ref{piece_index{2}, block_index{2}}, peer_a).accepted);
  EXPECT_FALSE(picker.mark_received(last[0], peer_a).piece_complete);
  EXPECT_TRUE(picker.mark_received(last[1], peer_a).piece_complete);
  EXPECT_TRUE(picker.have(piece_index{2}));
}

// --- endgame ---

TEST(piece_picker, endgame_starts_only_when_every_missing_block_is_requested) {
  picker_options options = rarest_first();
  options.max_endgame_duplicates = 1;
  piece_picker picker(geometry_of(2, 2), options, 1);
  picker.inc_seed();
  const bitfield seed = seed_bits(2);
  std::vector<block_ref> a_blocks;
  EXPECT_EQ(picker.pick(seed, 3, peer_a, a_blocks), 3u);
  EXPECT_FALSE(picker.in_endgame());
  std::vector<block_ref> b_blocks;
  EXPECT_EQ(picker.pick(seed, 1, peer_b, b_blocks), 1u);
  EXPECT_EQ(picker.num_requesters(b_blocks[0]), 1u);
  EXPECT_TRUE(picker.in_endgame());

  // b may now duplicate a's blocks, never its own.
  std::vector<block_ref> dup;
  EXPECT_EQ(picker.pick(seed, 10, peer_b, dup), 3u);
  std::sort(dup.begin(), dup.end());
  std::sort(a_blocks.begin(), a_blocks.end());
  EXPECT_EQ(dup, a_blocks);
  EXPECT_EQ(picker.pick(seed, 10, peer_b, dup), 0u);  // nothing new for b

  // One duplicate per block: c only gets the block b holds alone.
  std::vector<block_ref> c_blocks;
  EXPECT_EQ(picker.pick(seed, 10, peer_c, c_blocks), 1u);
  EXPECT_EQ(c_blocks, b_blocks);
  std::vector<block_ref> d_blocks;
  EXPECT_EQ(picker.pick(seed, 10, peer_d, d_blocks), 0u);

  const auto result = picker.mark_received(a_blocks[0], peer_a);
  EXPECT_TRUE(result.accepted);
  EXPECT_EQ(result.cancel, std::vector<requester>{peer_b});
  const auto late = picker.mark_received(a_blocks[0], peer_b);
  EXPECT_FALSE(late.accepted);
  const auto by_c = picker.mark_received(b_blocks[0], peer_c);
  EXPECT_EQ(by_c.cancel, std::vector<requester>{peer_b});
}

TEST(piece_picker, endgame_prefers_blocks_with_fewest_requesters) {
  picker_options options = rarest_first();
  options.max_endgame_duplicates = 3;
  piece_picker picker(geometry_of(1, 2), options, 1);
  picker.inc_seed();
  const bitfield seed = seed_bits(1);
  std::vector<block_ref> out;
  picker.pick(seed, 2, peer_a, out);
  out.clear();
  picker.pick(seed, 1, peer_b, out);
  out.clear();
  picker.pick(seed, 1, peer_c, out);  // must take the block b did not duplicate
  const block_ref b0{piece_index{0}, block_index{0}};
  const block_ref b1{piece_index{0}, block_index{1}};
  EXPECT_EQ(picker.num_requesters(b0), 2u);
  EXPECT_EQ(picker.num_requesters(b1), 2u);
}

TEST(piece_picker, no_duplicates_when_endgame_is_off) {
  picker_options options = rarest_first();
  options.endgame = false;
  piece_picker picker(geometry_of(1, 2), options, 1);
  picker.inc_seed();
  std::vector<block_ref> out;
  picker.pick(seed_bits(1), 2, peer_a, out);
  EXPECT_FALSE(picker.in_endgame());
  EXPECT_EQ(picker.pick(seed_bits(1), 2, peer_b, out), 0u);
}

// --- block lifecycle ---

TEST(piece_picker, abort_request_frees_the_block_for_others) {
  piece_picker picker(geometry_of(2, 2), rarest_first(), 1);
  add_availability(picker, "12");
  std::vector<block_ref> out;
  picker.pick(seed_bits(2), 2, peer_a, out);
  ASSERT_EQ(pieces_of(out), std::vector<std::uint32_t>{0});
  picker.abort_request(out[0], peer_b);  // not b's request: nothing happens
  EXPECT_TRUE(picker.is_requested(out[0]));
  picker.abort_request(out[0], peer_a);
  EXPECT_FALSE(picker.is_requested(out[0]));
  EXPECT_EQ(picker.num_partial_pieces(), 1u);
  std::vector<block_ref> again;
  picker.pick(seed_bits(2), 1, peer_b, again);
  EXPECT_EQ(again, std::vector<block_ref>{out[0]});
  picker.abort_request(out[1], peer_a);
  picker.abort_request(out[0], peer_b);
  EXPECT_EQ(picker.num_downloading_pieces(), 0u);
  EXPECT_EQ(order_of(picker).front(), 0u);  // rarest again
}

TEST(piece_picker, a_block_that_arrives_after_its_request_was_aborted_is_kept) {
  piece_picker picker(geometry_of(1, 2), rarest_first(), 1);
  picker.inc_seed();
  std::vector<block_ref> out;
  picker.pick(seed_bits(1), 1, peer_a, out);
  picker.abort_request(out[0], peer_a);
  std::vector<block_ref> b_out;
  picker.pick(seed_bits(1), 1, peer_b, b_out);
  ASSERT_EQ(b_out, out);
  const auto result = picker.mark_received(out[0], peer_a);
  EXPECT_TRUE(result.accepted);
  EXPECT_EQ(result.cancel, std::vector<requester>{peer_b});
  EXPECT_TRUE(picker.is_received(out[0]));
}

TEST(piece_picker, reset_piece_frees_every_block_and_completes_again) {
  piece_picker picker(geometry_of(2, 3), rarest_first(), 1);
  add_availability(picker, "12");
  std::vector<block_ref> out;
  picker.pick(bitfield::from_string("10"), 3, peer_a, out);
  int completions = 0;
  for (const block_ref& b : out)
    completions += picker.mark_received(b, peer_a).piece_complete;
  EXPECT_EQ(completions, 1);
  EXPECT_TRUE(picker.have(piece_index{0}));

  picker.reset_piece(piece_index{0});  // failed its hash check
  EXPECT_FALSE(picker.have(piece_index{0}));
  EXPECT_FALSE(picker.is_received(out[0]));
  std::vector<block_ref> again;
  EXPECT_EQ(picker.pick(bitfield::from_string("10"), 3, peer_b, again), 3u);
  completions = 0;
  for (const block_ref& b : again)
    completions += picker.mark_received(b, peer_b).piece_complete;
  EXPECT_EQ(completions, 1);

  // A partly received piece loses its received blocks too.
  out.clear();
  picker.pick(seed_bits(2), 2, peer_a, out);
  picker.mark_received(out[0], peer_a);
  picker.reset_piece(piece_index{1});
  EXPECT_FALSE(picker.is_received(out[0]));
  EXPECT_FALSE(picker.is_requested(out[1]));
  EXPECT_EQ(picker.num_downloading_pieces(), 0u);
}

TEST(piece_picker, duplicate_and_unneeded_blocks_are_refused) {
  piece_picker picker(geometry_of(2, 2), rarest_first(), 1);
  picker.set_have(piece_index{1});
  picker.inc_seed();
  std::vector<block_ref> out;
  picker.pick(seed_bits(2), 2, peer_a, out);
  EXPECT_TRUE(picker.mark_received(out[0], peer_a).accepted);
  EXPECT_FALSE(picker.mark_received(out[0], peer_a).accepted);
  EXPECT_FALSE(picker.mark_received(block_ref{piece_index{1}, block_index{0}}, peer_a).accepted);
  EXPECT_FALSE(picker.mark_received(block_ref{piece_index{5}, block_index{0}}, peer_a).accepted);
  const auto last = picker.mark_received(out[1], peer_a);
  EXPECT_TRUE(last.piece_complete);
  EXPECT_TRUE(picker.is_seed());
  EXPECT_FALSE(picker.mark_received(out[1], peer_a).piece_complete);
}

TEST(piece_picker, interest_means_the_peer_has_a_piece_we_lack) {
  piece_picker picker(geometry_of(3), rarest_first(), 1);
  picker.set_have(piece_index{0});
  EXPECT_FALSE(picker.is_interesting(bitfield::from_string("100")));
  EXPECT_TRUE(picker.is_interesting(bitfield::from_string("110")));
  picker.inc_seed();
  std::vector<block_ref> out;
  picker.pick(seed_bits(3), 100, peer_a, out);  // everything requested: still interesting
  EXPECT_TRUE(picker.is_interesting(bitfield::from_string("110")));
}

TEST(piece_picker, pieces_no_counted_peer_has_are_still_picked_from_a_peer_that_has_them) {
  piece_picker picker(geometry_of(3), rarest_first(), 1);
  add_availability(picker, "100");
  EXPECT_EQ(order_of(picker), std::vector<std::uint32_t>{0});
  const std::uint32_t picked = pick_piece(picker, bitfield::from_string("011"), peer_a);
  EXPECT_TRUE(picked == 1 || picked == 2) << picked;
}

// --- whole downloads ---

// Every block of every missing piece is received exactly once, outside endgame.
TEST(piece_picker, immediate_download_receives_every_block_once) {
  for (const pick_policy policy :
       {pick_policy::rarest_first, pick_policy::sequential, pick_policy::random}) {
    picker_options options;
    options.policy = ref_of(policy);
    constexpr std::uint32_t n = 60;
    piece_picker picker(geometry_of(n, 5), options, 3);
    std::mt19937_64 rng(11);
    std::vector<bitfield> peers;
    for (int i = 0; i < 5; ++i) {
      bitfield b(n);
      for (std::uint32_t p = 0; p < n; ++p)
        if (rng() % 3 == 0 || p % 5 == static_cast<std::uint32_t>(i)) b.set(p);
      picker.inc_availability(b);
      peers.push_back(b);
    }
    for (std::uint32_t p = 0; p < n; p += 7)
      picker.set_have(piece_index{p});
    const std::uint32_t missing = picker.num_missing();
    std::set<block_ref> seen;
    std::uint32_t completions = 0;
    for (int round = 0; round < 1000 && !picker.is_seed(); ++round) {
      const auto who = static_cast<std::uint32_t>(round % peers.size());
      std::vector<block_ref> out;
      picker.pick(peers[who], 7, requester{who}, out);
      for (const block_ref& b : out) {
        EXPECT_TRUE(seen.insert(b).second);
        const auto result = picker.mark_received(b, requester{who});
        EXPECT_TRUE(result.accepted);
        EXPECT_TRUE(result.cancel.empty());
        completions += result.piece_complete;
      }
    }
    EXPECT_TRUE(picker.is_seed());
    EXPECT_EQ(completions, missing);
    EXPECT_EQ(seen.size(), std::size_t{missing} * 5);
  }
}

// Peers keep requests outstanding, blocks arrive in random order, some requests are
// aborted: every block's requesters are exactly the peers that hold it, nobody
// holds a block twice, picks outside endgame hand out no block twice, no block has
// more than 1 + max_endgame_duplicates requesters, every piece completes once, and
// the picker's invariants hold after every step.
TEST(piece_picker, queued_download_with_aborts_keeps_requests_consistent) {
  constexpr std::uint32_t n = 40;
  constexpr std::uint32_t blocks = 4;
  constexpr std::uint32_t peers = 6;
  for (const std::uint32_t duplicates : {1u, 2u, 4u}) {
    picker_options options;
    options.max_endgame_duplicates = duplicates;
    piece_picker picker(geometry_of(n, blocks), options, duplicates);
    std::mt19937_64 rng(duplicates);
    std::vector<bitfield> has;
    for (std::uint32_t i = 0; i < peers; ++i) {
      bitfield b(n);
      for (std::uint32_t p = 0; p < n; ++p)
        if (rng() % 2 == 0 || p % peers == i) b.set(p);
      picker.inc_availability(b);
      has.push_back(b);
    }
    std::vector<std::vector<block_ref>> queue(peers);
    std::vector<int> completions(n, 0);
    bool endgame_seen = false;
    for (int step = 0; step < 20000 && !picker.is_seed(); ++step) {
      const auto who = static_cast<std::uint32_t>(rng() % peers);
      auto& q = queue[who];
      const bool endgame_before = picker.in_endgame();
      const std::size_t queued = q.size();
      if (queued < 4)
        picker.pick(has[who], 4 - static_cast<std::uint32_t>(queued), requester{who}, q);
      endgame_seen |= picker.in_endgame();
      if (!endgame_before && !picker.in_endgame()) {
        for (std::size_t i = queued; i < q.size(); ++i)
          ASSERT_EQ(picker.num_requesters(q[i]), 1u);
      }
      if (!q.empty()) {
        const std::size_t i = rng() % q.size();
        const block_ref b = q[i];
        q.erase(q.begin() + static_cast<std::ptrdiff_t>(i));
        if (rng() % 8 == 0) {
          picker.abort_request(b, requester{who});
        } else {
          const auto result = picker.mark_received(b, requester{who});
          EXPECT_TRUE(result.accepted);
          if (result.piece_complete) ++completions[b.piece.value()];
          for (const requester other : result.cancel) {
            auto& oq = queue[other.value()];
            ASSERT_EQ(std::count(oq.begin(), oq.end(), b), 1);
            oq.erase(std::find(oq.begin(), oq.end(), b));
          }
        }
      }
      ASSERT_NO_THROW(picker.check_invariants()) << "step " << step;
      std::map<block_ref, std::uint32_t> held;
      for (const auto& oq : queue) {
        for (const block_ref& b : oq)
          ++held[b];
        ASSERT_EQ(std::set<block_ref>(oq.begin(), oq.end()).size(), oq.size()) << "step " << step;
      }
      for (std::uint32_t p = 0; p < n; ++p) {
        for (std::uint32_t k = 0; k < blocks; ++k) {
          const block_ref b{piece_index{p}, block_index{k}};
          const std::uint32_t holders = held.count(b) ? held[b] : 0;
          ASSERT_EQ(picker.num_requesters(b), holders) << "step " << step;
          ASSERT_LE(holders, 1 + duplicates) << "step " << step;
        }
      }
    }
    EXPECT_TRUE(picker.is_seed());
    EXPECT_TRUE(endgame_seen);
    for (std::uint32_t p = 0; p < n; ++p)
      EXPECT_EQ(completions[p], 1) << "piece " << p;
  }
}

// --- the band order against brute force ---

// After random HAVEs, bitfields, departures, seeds, picks, receipts, aborts and
// resets, the order holds exactly the wanted pieces some peer has: by brute-force
// availability (rarest_first), by index (sequential), in any order (random); the
// picker's invariants hold after every event.
TEST(piece_picker, pick_order_matches_brute_force_after_random_events) {
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    constexpr std::uint32_t n = 300;
    const pick_policy policy = seed < 6   ? pick_policy::rarest_first
                               : seed < 7 ? pick_policy::random
                                          : pick_policy::sequential;
    piece_picker picker(geometry_of(n, 2), with_policy(policy), seed);
    std::mt19937_64 rng(seed * 7 + 1);
    std::vector<bitfield> peers;  // counted piece by piece, may hold every piece
    std::uint32_t seeds = 0;
    std::vector<std::uint32_t> haves_from_nowhere(n, 0);  // HAVEs not tied to a peer
    std::vector<block_ref> requested;
    const auto random_bitfield = [&](double density) {
      bitfield b(n);
      for (std::uint32_t p = 0; p < n; ++p)
        if (std::uniform_real_distribution<double>(0, 1)(rng) < density) b.set(p);
      return b;
    };
    std::string last_op;
    for (int step = 0; step < 400; ++step) {
      const auto op = rng() % 100;
      if (op < 10) {
        last_op = "join";
        const double densities[] = {0.01, 0.05, 0.3, 0.7, 0.99, 1.0};
        peers.push_back(random_bitfield(densities[rng() % 6]));
        picker.inc_availability(peers.back());
      } else if (op < 18 && !peers.empty()) {
        last_op = "leave";
        const std::size_t i = rng() % peers.size();
        picker.dec_availability(peers[i]);
        peers.erase(peers.begin() + static_cast<std::ptrdiff_t>(i));
      } else if (op < 60 && !peers.empty()) {
        last_op = "have";
        auto& peer = peers[rng() % peers.size()];
        const auto p = static_cast<std::uint32_t>(rng() % n);
        if (peer.set(p)) picker.inc_availability(piece_index{p});
      } else if (op < 65 && !peers.empty()) {
        last_op = "lose";
        auto& peer = peers[rng() % peers.size()];
        const auto p = static_cast<std::uint32_t>(rng() % n);
        if (peer.reset(p)) picker.dec_availability(piece_index{p});
      } else if (op < 70) {
        last_op = "have_nowhere";
        const auto p = static_cast<std::uint32_t>(rng() % n);
        ++haves_from_nowhere[p];
        picker.inc_availability(piece_index{p});
      } else if (op < 73) {
        last_op = "inc_seed";
        ++seeds;
        picker.inc_seed();
      } else if (op < 76 && seeds > 0) {
        last_op = "dec_seed";
        --seeds;
        picker.dec_seed();
      } else if (op < 88) {
        last_op = "pick";
        picker.pick(seed_bits(n), 1 + static_cast<std::uint32_t>(rng() % 6),
                    requester{static_cast<std::uint32_t>(rng() % 3)}, requested);
      } else if (op < 91 && !requested.empty()) {
        last_op = "receive";
        const std::size_t i = rng() % requested.size();
        for (std::uint32_t who = 0; who < 3; ++who)
          picker.mark_received(requested[i], requester{who});
        requested.erase(requested.begin() + static_cast<std::ptrdiff_t>(i));
      } else if (op < 94 && !requested.empty()) {
        last_op = "abort";
        const std::size_t i = rng() % requested.size();
        for (std::uint32_t who = 0; who < 3; ++who)
          picker.abort_request(requested[i], requester{who});
        requested.erase(requested.begin() + static_cast<std::ptrdiff_t>(i));
      } else if (op < 97) {
        last_op = "set_have";
        picker.set_have(piece_index{static_cast<std::uint32_t>(rng() % n)});
      } else {
        last_op = "reset";
        picker.reset_piece(piece_index{static_cast<std::uint32_t>(rng() % n)});
      }
      ASSERT_NO_THROW(picker.check_invariants()) << "step " << step << " after " << last_op;

      std::vector<std::uint32_t> brute(n, seeds);
      for (const bitfield& b : peers)
        b.for_each_set([&](std::uint32_t p) { ++brute[p]; });
      for (std::uint32_t p = 0; p < n; ++p)
        brute[p] += haves_from_nowhere[p];
      for (std::uint32_t p = 0; p < n; ++p)
        ASSERT_EQ(picker.availability(piece_index{p}), brute[p])
            << "step " << step << " after " << last_op;

      // Wanted: missing and with a block neither requested nor received.
      std::set<std::uint32_t> wanted;
      for (std::uint32_t p = 0; p < n; ++p) {
        if (picker.have(piece_index{p}) || brute[p] == 0) continue;
        const std::uint32_t blocks = picker.geometry().blocks_in_piece(piece_index{p});
        for (std::uint32_t b = 0; b < blocks; ++b) {
          const block_ref ref{piece_index{p}, block_index{b}};
          if (!picker.is_requested(ref) && !picker.is_received(ref)) wanted.insert(p);
        }
      }
      const auto order = order_of(picker);  // rebuilds a dirty order
      ASSERT_EQ(std::set<std::uint32_t>(order.begin(), order.end()), wanted)
          << "step " << step << " after " << last_op;
      ASSERT_EQ(order.size(), wanted.size());
      for (std::size_t i = 1; i < order.size(); ++i) {
        if (policy == pick_policy::rarest_first) {
          ASSERT_LE(brute[order[i - 1]], brute[order[i]])
              << "step " << step << " after " << last_op << " at " << i;
        } else if (policy == pick_policy::sequential) {
          ASSERT_LT(order[i - 1], order[i]);
        }
      }
    }
  }
}

}  // namespace
}  // namespace swarmsim::protocol
