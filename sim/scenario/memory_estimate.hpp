#pragma once
// How much memory simulating a scenario takes, estimated before anything is
// built, so that a scenario too large for the machine is refused with a message
// instead of dying of std::bad_alloc half-way through building the swarm.
//
// The estimate is linear in what dominates; its coefficients
// (memory_estimate.cpp) come from the peak memory of the benchmark swarms:
// 1. each peer: a fixed part plus a part per piece (its own and its
//    neighbours' piece sets, its picker's availability);
// 2. each sample of timeseries.csv: the sample and its CSV row, for
//    time_limit / sample_interval samples (time_limit caps every run);
// 3. the same for overlay samples when overlay_interval is set.

#include <cstdint>
#include <optional>
#include <string>

#include "sim/scenario/scenario.hpp"

namespace swarmsim::sim {

struct memory_estimate {
  std::uint64_t peers = 0;    // bytes for the peers (1)
  std::uint64_t samples = 0;  // bytes for timeseries and overlay samples (2, 3)
  std::uint64_t total() const { return peers + samples; }
};

memory_estimate estimate_memory(const scenario& s);

// The machine's physical memory in bytes (0 if unknown).
std::uint64_t physical_memory();

// Why `s` does not fit in `available` bytes, naming the field that weighs most
// and the estimate, e.g. "groups: 10000000 peers of 256 pieces need about
// 31.2 GiB of memory, more than the 23.4 GiB of this machine"; nothing if it fits
// (or available is 0).
std::optional<std::string> check_memory(const scenario& s, std::uint64_t available);

}  // namespace swarmsim::sim
