#pragma once
// The swarm shape of the picker benchmarks (bench/picker_bench.cpp), from the
// picker issue, so the figures compare with other pickers:
// 1. P pieces of 256 KiB in 16 KiB blocks.
// 2. K connected peers: num_probes probes with bitfields of density 0.5, the
//    others of a density drawn uniformly from [0.1, 0.9].
// 3. Every piece is held by some peer (a piece nobody drew goes to a random
//    non-probe peer).
// 4. We hold exactly 25 % of the pieces, and 12 more are partial (half their
//    blocks received, none requested).
// check() verifies 2-4 on a fresh picker.

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "protocol/piece_picker.hpp"

namespace swarmsim::bench {

using protocol::bitfield;
using protocol::block_index;
using protocol::block_ref;
using protocol::piece_index;
using protocol::piece_picker;
using protocol::requester;
using protocol::torrent_geometry;

constexpr std::uint32_t piece_size = 256 * 1024;
constexpr std::uint32_t block_size = 16 * 1024;
constexpr std::uint32_t num_probes = 8;
constexpr double probe_density = 0.5;
constexpr double min_density = 0.1;
constexpr double max_density = 0.9;
constexpr std::uint32_t held_percent = 25;
constexpr std::uint32_t num_partial = 12;
// Who received the partial pieces' blocks (no benchmark requester uses this id).
constexpr requester earlier_peer{1000000};

inline bitfield random_bitfield(std::uint32_t n, double density, std::mt19937_64& rng) {
  bitfield b(n);
  std::bernoulli_distribution has(density);
  for (std::uint32_t i = 0; i < n; ++i)
    if (has(rng)) b.set(i);
  return b;
}

// The peers' bitfields and our own content; make_picker() turns them into a picker.
struct swarm_shape {
  torrent_geometry geometry;
  std::vector<bitfield> peers;  // the first num_probes are the probes
  bitfield ours;
  std::vector<std::uint32_t> partial;

  swarm_shape(std::uint32_t num_pieces, std::uint32_t num_peers)
      : geometry(std::uint64_t{num_pieces} * piece_size, piece_size, block_size), ours(num_pieces) {
    std::mt19937_64 rng(num_pieces * 1000003ull + num_peers);
    std::uniform_real_distribution<double> density(min_density, max_density);
    for (std::uint32_t i = 0; i < num_peers; ++i)
      peers.push_back(
          random_bitfield(num_pieces, i < num_probes ? probe_density : density(rng), rng));
    const std::uint32_t first_other = num_peers > num_probes ? num_probes : 0;
    for (std::uint32_t p = 0; p < num_pieces; ++p) {
      const bool held =
          std::any_of(peers.begin(), peers.end(), [p](const bitfield& b) { return b.test(p); });
      if (!held) peers[first_other + rng() % (num_peers - first_other)].set(p);
    }
    std::vector<std::uint32_t> order(num_pieces);
    std::iota(order.begin(), order.end(), 0u);
    std::shuffle(order.begin(), order.end(), rng);
    const std::uint32_t held = num_held();
    for (std::uint32_t i = 0; i < held; ++i)
      ours.set(order[i]);
    partial.assign(order.begin() + held, order.begin() + held + num_partial);
  }

  std::uint32_t num_pieces() const { return geometry.num_pieces(); }
  std::uint32_t num_held() const { return num_pieces() * held_percent / 100; }
  bool is_partial(std::uint32_t p) const {
    return std::find(partial.begin(), partial.end(), p) != partial.end();
  }

  piece_picker make_picker() const {
    piece_picker picker(geometry, protocol::picker_options{}, 42);
    for (const bitfield& b : peers)
      picker.inc_availability(b);
    ours.for_each_set([&](std::uint32_t p) { picker.set_have(piece_index{p}); });
    for (const std::uint32_t p : partial)
      for (std::uint32_t b = 0; b < geometry.blocks_per_piece() / 2; ++b)
        picker.mark_received(block_ref{piece_index{p}, block_index{b}}, earlier_peer);
    return picker;
  }

  // Empty if `picker` (fresh from make_picker()) has the shape the header promises.
  std::string check(const piece_picker& picker) const {
    if (picker.num_have() != num_held()) return "setup: we do not hold 25 % of the pieces";
    if (picker.num_partial_pieces() != num_partial ||
        picker.num_downloading_pieces() != num_partial)
      return "setup: not exactly 12 partial pieces";
    for (std::uint32_t p = 0; p < num_pieces(); ++p)
      if (picker.availability(piece_index{p}) == 0) return "setup: a piece nobody holds";
    return {};
  }
};

}  // namespace swarmsim::bench
