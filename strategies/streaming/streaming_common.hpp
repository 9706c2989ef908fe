#pragma once
// What the streaming pickers share (strategies/streaming/streaming.hpp).

#include <cstdint>

#include "protocol/piece_picker.hpp"

namespace swarmsim::strategies::streaming {

// One past the `count`-th piece from `from` on that the peer lacks (the end of
// a window of `count` missing pieces); num_pieces() if there are fewer.
inline protocol::piece_index window_end(const protocol::piece_request& r,
                                        protocol::piece_index from, std::uint32_t count) {
  std::uint32_t p = from.value();
  for (std::uint32_t missing = 0; p < r.num_pieces() && missing < count; ++p)
    if (!r.have(protocol::piece_index{p})) ++missing;
  return protocol::piece_index{p};
}

// Whether a piece of [from, to) that the peer lacks is wanted and held by a
// connected peer.
inline bool any_available(const protocol::piece_request& r, protocol::piece_index from,
                          protocol::piece_index to) {
  for (std::uint32_t p = from.value(); p < to.value(); ++p)
    if (r.wanted(protocol::piece_index{p}) && r.availability(protocol::piece_index{p}) > 0)
      return true;
  return false;
}

// Earliest first: the lowest startable pieces from the playback point on, then
// those before it (pieces the player skipped).
inline void take_earliest(protocol::piece_request& r, protocol::piece_index point) {
  r.take_lowest(point);
  if (!r.full() && point.value() > 0) r.take_lowest(protocol::piece_index{0});
}

}  // namespace swarmsim::strategies::streaming
