#include "sim/scenario/memory_estimate.hpp"

#include "sim/scenario/units.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace swarmsim::sim {

namespace {

// Bytes per peer and per peer and piece, measured as peak RSS (`/usr/bin/time
// -f %M swarmsim run bench/scenarios/...`): flash-1000 (1001 peers, 2000 pieces)
// takes 94 MB once built and 141 MB at 100 s; scale-10k (10,000 peers, 400
// pieces) 789 MB at 30 s. Built, a peer holds about 43 bytes per piece (its
// picker, its piece sets); running, about 60 KiB more (its connections, each
// with its remote's piece set and queues). Per timeseries sample: about 100
// bytes of struct, 170 of CSV, and vector growth; per overlay sample, half that.
constexpr double bytes_per_peer = 64 * 1024;
constexpr double bytes_per_peer_piece = 44;
constexpr double bytes_per_sample = 400;
constexpr double bytes_per_overlay_sample = 200;

std::uint64_t to_bytes(double v) {
  return v >= static_cast<double>(std::numeric_limits<std::uint64_t>::max())
             ? std::numeric_limits<std::uint64_t>::max()
             : static_cast<std::uint64_t>(v);
}

double samples_over(const scenario& s, duration interval) {
  return static_cast<double>(s.simulation.time_limit.count()) /
             static_cast<double>(interval.count()) +
         1;
}

std::string gib(std::uint64_t bytes) {
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
}

}  // namespace

memory_estimate estimate_memory(const scenario& s) {
  double peers = 0;
  for (const auto& g : s.groups)
    peers += g.count;
  const double pieces =
      static_cast<double>((s.torrent.size + s.torrent.piece_size - 1) / s.torrent.piece_size);
  memory_estimate e;
  e.peers = to_bytes(peers * (bytes_per_peer + bytes_per_peer_piece * pieces));
  double samples = samples_over(s, s.simulation.sample_interval) * bytes_per_sample;
  if (s.simulation.overlay_interval)
    samples += samples_over(s, *s.simulation.overlay_interval) * bytes_per_overlay_sample;
  e.samples = to_bytes(samples);
  return e;
}

std::uint64_t physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
}

std::optional<std::string> check_memory(const scenario& s, std::uint64_t available) {
  const memory_estimate e = estimate_memory(s);
  if (available == 0 || e.total() <= available) return std::nullopt;
  const std::string limit = fmt::format("more than the {} of this machine", gib(available));
  if (e.peers >= e.samples) {
    std::uint64_t peers = 0;
    for (const auto& g : s.groups)
      peers += g.count;
    return fmt::format(
        "groups: {} peers of {} pieces need about {} of memory, {}; use fewer peers or "
        "larger pieces",
        peers, (s.torrent.size + s.torrent.piece_size - 1) / s.torrent.piece_size, gib(e.total()),
        limit);
  }
  return fmt::format(
      "simulation.sample_interval: {} samples over the time_limit of {} need about {} of "
      "memory, {}; sample less often or shorten time_limit",
      to_bytes(samples_over(s, s.simulation.sample_interval)),
      format_duration(s.simulation.time_limit), gib(e.total()), limit);
}

}  // namespace swarmsim::sim
