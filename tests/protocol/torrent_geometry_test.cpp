#include "protocol/torrent_geometry.hpp"

#include <gtest/gtest.h>

namespace swarmsim::protocol {
namespace {

TEST(torrent_geometry, short_last_piece_and_block) {
  // 2 full pieces of 64 KiB, then 20 KiB + 5 bytes: last piece has 2 blocks, the last 4101 bytes.
  const std::uint64_t size = 2 * 65536 + 20 * 1024 + 5;
  torrent_geometry g(size, 65536, 16384);
  EXPECT_EQ(g.num_pieces(), 3u);
  EXPECT_EQ(g.piece_length(piece_index{0}), 65536u);
  EXPECT_EQ(g.piece_length(piece_index{2}), 20u * 1024 + 5);
  EXPECT_EQ(g.blocks_in_piece(piece_index{0}), 4u);
  EXPECT_EQ(g.blocks_in_piece(piece_index{2}), 2u);
  EXPECT_EQ(g.block_length({piece_index{2}, block_index{1}}), 4u * 1024 + 5);
  EXPECT_EQ(g.num_blocks(), 10u);
  std::uint64_t total = 0;
  for (std::uint32_t p = 0; p < g.num_pieces(); ++p)
    for (std::uint32_t b = 0; b < g.blocks_in_piece(piece_index{p}); ++b)
      total += g.block_length({piece_index{p}, block_index{b}});
  EXPECT_EQ(total, size);
}

TEST(torrent_geometry, exact_multiple_has_full_last_piece) {
  torrent_geometry g(4 * 32768, 32768, 16384);
  EXPECT_EQ(g.num_pieces(), 4u);
  EXPECT_EQ(g.piece_length(piece_index{3}), 32768u);
  EXPECT_EQ(g.blocks_in_piece(piece_index{3}), 2u);
}

TEST(torrent_geometry, block_at_accepts_only_exact_blocks) {
  torrent_geometry g(65536 + 100, 65536, 16384);
  EXPECT_TRUE(g.block_at(piece_index{0}, 16384, 16384));
  EXPECT_FALSE(g.block_at(piece_index{0}, 100, 16384));
  EXPECT_FALSE(g.block_at(piece_index{0}, 16384, 8192));
  EXPECT_TRUE(g.block_at(piece_index{1}, 0, 100));
  EXPECT_FALSE(g.block_at(piece_index{1}, 0, 16384));
  EXPECT_FALSE(g.block_at(piece_index{2}, 0, 16384));
}

TEST(torrent_geometry, rejects_inconsistent_sizes) {
  EXPECT_TRUE(torrent_geometry::validate(100, 1000, 300));
  EXPECT_TRUE(torrent_geometry::validate(0, 1024, 1024));
  EXPECT_FALSE(torrent_geometry::validate(100, 1024, 512));
  EXPECT_THROW(torrent_geometry(100, 1000, 300), std::invalid_argument);
}

}  // namespace
}  // namespace swarmsim::protocol
