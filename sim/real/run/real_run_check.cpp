// check_real_scenario(): what `run --real` refuses (sim/real/run/real_run.hpp, invariant 1).

#include <fmt/format.h>

#include "protocol/torrent_geometry.hpp"
#include "sim/engine/population.hpp"
#include "sim/engine/topology.hpp"
#include "sim/real/run/real_run.hpp"
#include "sim/real/storage/torrent_maker.hpp"
#include "sim/scenario/units.hpp"

namespace swarmsim::sim::real {

namespace {

constexpr std::uint32_t wire_block_size = 16 * 1024;

}  // namespace

std::optional<std::string> check_real_scenario(const scenario& s, const real_run_limits& limits) {
  if (s.network.sites.size() > 1)
    return fmt::format(
        "network.sites: real mode runs every peer on 127.0.0.1 with loopback latency; it cannot "
        "emulate {} sites (use one site)",
        s.network.sites.size());
  for (const auto& g : s.groups) {
    if (g.sites.size() > 1)
      return fmt::format("groups.{}.sites: real mode has one site; it cannot spread peers over {}",
                         g.name, g.sites.size());
  }
  if (s.simulation.overlay_interval)
    return std::string(
        "simulation.overlay_interval: real mode does not record overlay samples (remove it)");
  if (!s.simulation.trace.empty())
    return std::string("simulation.trace: real mode does not record traces (remove it)");
  if (s.torrent.block_size != wire_block_size)
    return fmt::format(
        "torrent.block_size: real peers request 16 KiB blocks (BEP 3); {} cannot be run for real",
        format_size(s.torrent.block_size));
  if (auto why = check_piece_size(s.torrent.piece_size))
    return fmt::format("torrent.piece_size: {}", *why);
  if (s.torrent.size > limits.max_torrent_size)
    return fmt::format("torrent.size: {} is too big for real mode (at most {})",
                       format_size(s.torrent.size), format_size(limits.max_torrent_size));

  std::uint64_t peers = 0;
  for (const auto& g : s.groups)
    peers += g.count;
  if (peers > limits.max_peers)
    return fmt::format("groups: {} peers in all; real mode runs at most {} in one process", peers,
                       limits.max_peers);
  if (s.simulation.stop == stop_kind::time_limit && s.simulation.time_limit > limits.max_duration)
    return fmt::format(
        "simulation.time_limit: {} of wall-clock time is too long for real mode (at "
        "most {} with stop: time_limit)",
        format_duration(s.simulation.time_limit), format_duration(limits.max_duration));

  const topology topo = topology::build(s.network);
  const protocol::torrent_geometry geometry(s.torrent.size, s.torrent.piece_size,
                                            s.torrent.block_size);
  const auto plan = plan_peers(s, topo, geometry);
  std::uint64_t copies = 1;  // the generated file, which the seeds share
  for (const auto& p : plan) {
    const group_spec& g = s.groups[p.group];
    if (p.arrival - protocol::time_origin > limits.max_duration)
      return fmt::format(
          "groups.{}.arrival: a peer arrives at {}, too late for real mode (at most {})", g.name,
          format_duration(p.arrival - protocol::time_origin), format_duration(limits.max_duration));
    if (!p.initial_seed) ++copies;
  }
  if (copies * s.torrent.size > limits.max_disk)
    return fmt::format("torrent.size: {} copies of {} need {} of scratch disk; real mode allows {}",
                       copies, format_size(s.torrent.size), format_size(copies * s.torrent.size),
                       format_size(limits.max_disk));
  return std::nullopt;
}

}  // namespace swarmsim::sim::real
