#include "sim/real/storage/piece_store.hpp"

namespace swarmsim::sim::real {

protocol::sha1_hash hash_piece(piece_store& store, const protocol::metainfo& meta,
                               protocol::piece_index p, std::vector<std::uint8_t>& buffer) {
  const std::uint64_t offset = std::uint64_t{p.value()} * meta.piece_length;
  const std::uint64_t total = meta.total_size();
  const std::uint64_t length = std::min<std::uint64_t>(meta.piece_length, total - offset);
  buffer.resize(length);
  store.read(offset, buffer);
  return protocol::sha1(buffer);
}

bool piece_matches(piece_store& store, const protocol::metainfo& meta, protocol::piece_index p,
                   std::vector<std::uint8_t>& buffer) {
  return p.value() < meta.num_pieces() &&
         hash_piece(store, meta, p, buffer) == meta.piece_hashes[p.value()];
}

protocol::bitfield check_pieces(piece_store& store, const protocol::metainfo& meta,
                                const std::function<void(std::uint32_t)>& progress) {
  protocol::bitfield ok(meta.num_pieces());
  std::vector<std::uint8_t> buffer;
  for (std::uint32_t i = 0; i < meta.num_pieces(); ++i) {
    if (piece_matches(store, meta, protocol::piece_index{i}, buffer)) ok.set(i);
    if (progress) progress(i + 1);
  }
  return ok;
}

}  // namespace swarmsim::sim::real
