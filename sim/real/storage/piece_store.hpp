#pragma once
// Where a local peer keeps a torrent's bytes: the torrent's content seen as one
// flat run of total_size() bytes (files concatenated in metainfo order), read and
// written at byte offsets. file_storage keeps it in real files; tests and the
// real-socket scenario runner may keep it elsewhere (memory, generated content).
//
// Invariants of every implementation:
// 1. read/write touch exactly [offset, offset + size) and throw storage_error
//    (naming the file where there is one) if that range is outside the content or
//    the I/O fails; nothing is ever read or written past total_size().
// 2. A byte written is read back unchanged until it is written again.

#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocol/bitfield.hpp"
#include "protocol/metainfo.hpp"
#include "protocol/types.hpp"

namespace swarmsim::sim::real {

class storage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class piece_store {
 public:
  virtual ~piece_store() = default;
  virtual std::uint64_t total_size() const = 0;
  virtual void read(std::uint64_t offset, std::span<std::uint8_t> out) = 0;
  virtual void write(std::uint64_t offset, std::span<const std::uint8_t> data) = 0;
  // Makes written bytes durable (fsync for files); a no-op by default.
  virtual void flush() {}
};

// Reads piece p of `meta` from `store` into `buffer` (resized to the piece's
// length) and returns its SHA-1.
protocol::sha1_hash hash_piece(piece_store& store, const protocol::metainfo& meta,
                               protocol::piece_index p, std::vector<std::uint8_t>& buffer);

// Whether piece p in `store` matches its hash in `meta`.
bool piece_matches(piece_store& store, const protocol::metainfo& meta, protocol::piece_index p,
                   std::vector<std::uint8_t>& buffer);

// Hashes every piece (a resume or a seed's check of its data): bit p is set when
// piece p matches. `progress`, if given, is called after each piece with the
// number of pieces checked so far.
protocol::bitfield check_pieces(piece_store& store, const protocol::metainfo& meta,
                                const std::function<void(std::uint32_t)>& progress = {});

}  // namespace swarmsim::sim::real
