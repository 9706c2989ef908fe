#pragma once
// Whom to blame for a piece that fails its hash check (libtorrent's "smart
// ban"): a remote is blamed only for data it is shown to have corrupted, never
// for having sent part of a piece that another remote spoiled.
//
// piece_blame keeps, for each piece being downloaded, which remote (by its wire
// peer id, so a reconnect is recognised) sent each block; and for each piece
// that failed, the digest (SHA-1) of every block of every failed attempt with
// its sender. Invariants:
// 1. A failed piece whose blocks all came from one remote blames that remote.
// 2. A failed piece with blocks from several remotes blames nobody at once; the
//    blocks' digests are kept, and when the piece later passes, every remote
//    whose digest of a block differs from the passing one is blamed.
// 3. Each check blames a remote at most once, and a piece's records go when it
//    passes.
// 4. wants_block_digests(p) says when a check needs the block digests: blocks
//    from several remotes, or a failed attempt on record. Without them (a
//    driver that cannot hash blocks) rule 2 blames nobody.

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "protocol/types.hpp"

namespace swarmsim::protocol {

enum class piece_verdict : std::uint8_t { passed, failed };

class piece_blame {
 public:
  // Block b of piece p (of `blocks` blocks) was accepted from `from`.
  void on_block(piece_index p, block_index b, std::uint32_t blocks, const wire_peer_id& from);
  bool wants_block_digests(piece_index p) const;
  // The verdict on p, with the SHA-1 of each of its blocks in order when
  // wants_block_digests(p) (else empty). Returns the remotes blamed.
  std::vector<wire_peer_id> on_checked(piece_index p, piece_verdict verdict,
                                       std::span<const sha1_hash> block_digests);
  // Pieces with blocks on record or a failed attempt kept.
  std::size_t pieces_tracked() const { return senders_.size() + failed_.size(); }

 private:
  struct failed_block {
    std::uint32_t block;
    wire_peer_id from;
    sha1_hash digest;
  };
  // Per piece: index into `ids` of each block's sender (npos: none yet).
  struct senders {
    std::vector<wire_peer_id> ids;
    std::vector<std::uint32_t> of_block;
  };
  static constexpr std::uint32_t npos = ~std::uint32_t{0};

  std::unordered_map<std::uint32_t, senders> senders_;
  std::unordered_map<std::uint32_t, std::vector<failed_block>> failed_;
};

}  // namespace swarmsim::protocol
