#pragma once
// Deterministic seeding: one master seed per run, split into independent streams
// (one per peer, one for the tracker, one for arrivals, ...) with SplitMix64, so
// adding a peer never shifts another stream.

#include <cstdint>

namespace swarmsim::sim {

inline constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Named streams of a run.
enum class stream : std::uint64_t {
  peer = 1,
  tracker = 2,
  arrivals = 3,
  content = 4,
  departures = 5,
};

inline constexpr std::uint64_t split_seed(std::uint64_t master, stream s, std::uint64_t index = 0) {
  return splitmix64(splitmix64(master ^ splitmix64(static_cast<std::uint64_t>(s))) + index);
}

}  // namespace swarmsim::sim
