// Smart ban: who is blamed for a piece that fails its check.

#include "protocol/piece_blame.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace swarmsim::protocol {
namespace {

wire_peer_id remote(std::uint8_t n) {
  wire_peer_id id{};
  id.fill(n);
  return id;
}

sha1_hash digest(std::uint8_t n) {
  sha1_hash h{};
  h.fill(n);
  return h;
}

const piece_index piece{3};
constexpr std::uint32_t blocks = 4;

// Blocks 0..3 of `piece` from the senders given, in block order.
void receive(piece_blame& blame, std::initializer_list<std::uint8_t> senders) {
  std::uint32_t b = 0;
  for (const auto s : senders)
    blame.on_block(piece, block_index{b++}, blocks, remote(s));
}

TEST(piece_blame, a_piece_from_one_remote_that_fails_blames_it_and_needs_no_digests) {
  piece_blame blame;
  receive(blame, {1, 1, 1, 1});
  EXPECT_FALSE(blame.wants_block_digests(piece));
  EXPECT_EQ(blame.on_checked(piece, piece_verdict::failed, {}), std::vector{remote(1)});
  EXPECT_EQ(blame.pieces_tracked(), 0u);
}

TEST(piece_blame, a_shared_piece_that_fails_blames_nobody_until_it_passes) {
  piece_blame blame;
  receive(blame, {1, 2, 1, 2});
  ASSERT_TRUE(blame.wants_block_digests(piece));
  // Remote 2 corrupted block 1.
  const std::vector<sha1_hash> bad{digest(10), digest(66), digest(12), digest(13)};
  EXPECT_TRUE(blame.on_checked(piece, piece_verdict::failed, bad).empty());
  // Fetched again from remote 1 alone; digests asked for because it failed before.
  receive(blame, {1, 1, 1, 1});
  ASSERT_TRUE(blame.wants_block_digests(piece));
  const std::vector<sha1_hash> good{digest(10), digest(11), digest(12), digest(13)};
  EXPECT_EQ(blame.on_checked(piece, piece_verdict::passed, good), std::vector{remote(2)});
  EXPECT_EQ(blame.pieces_tracked(), 0u);
}

TEST(piece_blame, every_remote_whose_blocks_differ_is_blamed_once) {
  piece_blame blame;
  receive(blame, {1, 2, 3, 2});
  const std::vector<sha1_hash> bad{digest(10), digest(66), digest(12), digest(67)};
  EXPECT_TRUE(blame.on_checked(piece, piece_verdict::failed, bad).empty());
  receive(blame, {3, 1, 3, 1});
  EXPECT_TRUE(blame
                  .on_checked(piece, piece_verdict::failed,
                              std::vector{digest(10), digest(11), digest(99), digest(13)})
                  .empty());
  receive(blame, {1, 1, 1, 1});
  const std::vector<sha1_hash> good{digest(10), digest(11), digest(12), digest(13)};
  EXPECT_EQ(blame.on_checked(piece, piece_verdict::passed, good),
            (std::vector{remote(2), remote(3)}));
}

TEST(piece_blame, without_digests_a_shared_failure_blames_nobody) {
  piece_blame blame;
  receive(blame, {1, 2, 1, 2});
  EXPECT_TRUE(blame.on_checked(piece, piece_verdict::failed, {}).empty());
  receive(blame, {1, 2, 2, 2});
  EXPECT_TRUE(blame.on_checked(piece, piece_verdict::passed, {}).empty());
  EXPECT_EQ(blame.pieces_tracked(), 0u);
}

TEST(piece_blame, a_piece_that_passes_first_time_blames_nobody_and_is_forgotten) {
  piece_blame blame;
  receive(blame, {1, 2, 3, 4});
  const std::vector<sha1_hash> good{digest(10), digest(11), digest(12), digest(13)};
  EXPECT_TRUE(blame.on_checked(piece, piece_verdict::passed, good).empty());
  EXPECT_EQ(blame.pieces_tracked(), 0u);
}

}  // namespace
}  // namespace swarmsim::protocol
