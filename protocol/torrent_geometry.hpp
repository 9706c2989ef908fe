#pragma once
// How a torrent of `total_size` bytes splits into pieces and blocks.
//
// 1. Every piece is piece_size bytes except the last, which holds the remainder
//    (1..piece_size bytes).
// 2. Every block is block_size bytes except the last block of a piece, which holds
//    that piece's remainder. block_size divides piece_size.
// 3. total_size > 0, so there is at least one piece.

#include <cstdint>
#include <optional>
#include <string>

#include "protocol/types.hpp"

namespace swarmsim::protocol {

constexpr std::uint32_t default_block_size = 16 * 1024;  // BEP 3
constexpr std::uint32_t max_block_size = 128 * 1024;     // larger requests are refused

class torrent_geometry {
 public:
  // Returns an error text if the sizes are inconsistent, nullopt if valid.
  static std::optional<std::string> validate(std::uint64_t total_size, std::uint32_t piece_size,
                                             std::uint32_t block_size);
  // Throws std::invalid_argument with validate()'s text on bad sizes.
  torrent_geometry(std::uint64_t total_size, std::uint32_t piece_size,
                   std::uint32_t block_size = default_block_size);

  std::uint64_t total_size() const { return total_size_; }
  std::uint32_t piece_size() const { return piece_size_; }
  std::uint32_t block_size() const { return block_size_; }
  std::uint32_t num_pieces() const { return num_pieces_; }
  std::uint32_t blocks_per_piece() const { return piece_size_ / block_size_; }
  std::uint64_t num_blocks() const { return num_blocks_; }

  std::uint32_t piece_length(piece_index p) const {
    return p.value() + 1 == num_pieces_ ? last_piece_size_ : piece_size_;
  }
  std::uint32_t blocks_in_piece(piece_index p) const {
    return p.value() + 1 == num_pieces_ ? last_piece_blocks_ : blocks_per_piece();
  }
  std::uint32_t block_length(block_ref b) const {
    const std::uint32_t len = piece_length(b.piece);
    const std::uint32_t off = b.block.value() * block_size_;
    return len - off < block_size_ ? len - off : block_size_;
  }
  std::uint32_t block_offset(block_ref b) const { return b.block.value() * block_size_; }
  std::uint64_t piece_offset(piece_index p) const {
    return static_cast<std::uint64_t>(p.value()) * piece_size_;
  }
  // The block starting at `begin` within piece p, if begin/length name exactly one block.
  std::optional<block_ref> block_at(piece_index p, std::uint32_t begin,
                                    std::uint32_t length) const;
  bool valid_piece(piece_index p) const { return p.value() < num_pieces_; }

  friend bool operator==(const torrent_geometry&, const torrent_geometry&) = default;

 private:
  std::uint64_t total_size_;
  std::uint32_t piece_size_;
  std::uint32_t block_size_;
  std::uint32_t num_pieces_;
  std::uint32_t last_piece_size_;
  std::uint32_t last_piece_blocks_;
  std::uint64_t num_blocks_;
};

}  // namespace swarmsim::protocol
