#include "protocol/torrent_geometry.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace swarmsim::protocol {

std::optional<std::string> torrent_geometry::validate(std::uint64_t total_size,
                                                      std::uint32_t piece_size,
                                                      std::uint32_t block_size) {
  if (total_size == 0) return "torrent size must be greater than 0";
  if (block_size == 0) return "block size must be greater than 0";
  if (block_size > max_block_size)
    return fmt::format("block size {} exceeds the maximum of {} bytes", block_size,
                       max_block_size);
  if (piece_size == 0) return "piece size must be greater than 0";
  if (piece_size % block_size != 0)
    return fmt::format("piece size {} is not a multiple of the block size {}", piece_size,
                       block_size);
  const std::uint64_t pieces = (total_size + piece_size - 1) / piece_size;
  if (pieces > 0x7fffffffu)
    return fmt::format("{} pieces is more than the wire format allows", pieces);
  return std::nullopt;
}

torrent_geometry::torrent_geometry(std::uint64_t total_size, std::uint32_t piece_size,
                                   std::uint32_t block_size)
    : total_size_(total_size), piece_size_(piece_size), block_size_(block_size) {
  if (auto err = validate(total_size, piece_size, block_size)) throw std::invalid_argument(*err);
  num_pieces_ = static_cast<std::uint32_t>((total_size + piece_size - 1) / piece_size);
  last_piece_size_ =
      static_cast<std::uint32_t>(total_size - static_cast<std::uint64_t>(num_pieces_ - 1) * piece_size);
  last_piece_blocks_ = (last_piece_size_ + block_size - 1) / block_size;
  num_blocks_ = static_cast<std::uint64_t>(num_pieces_ - 1) * blocks_per_piece() + last_piece_blocks_;
}

std::optional<block_ref> torrent_geometry::block_at(piece_index p, std::uint32_t begin,
                                                    std::uint32_t length) const {
  if (!valid_piece(p) || begin % block_size_ != 0) return std::nullopt;
  if (begin >= piece_length(p)) return std::nullopt;
  const block_ref b{p, block_index{begin / block_size_}};
  if (block_length(b) != length) return std::nullopt;
  return b;
}

}  // namespace swarmsim::protocol
