#include "sim/results/theory.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace swarmsim::sim {

double distribution_bounds::minimum_time() const {
  return std::max({seed, download, aggregate});
}

distribution_bounds kumar_ross_bounds(const swarm_capacities& c) {
  if (!(c.file_size > 0)) throw std::invalid_argument("file size must be > 0");
  if (!(c.seed_upload > 0)) throw std::invalid_argument("seed upload must be > 0");
  if (c.leecher_uploads.size() != c.leecher_downloads.size()) {
    throw std::invalid_argument("leecher uploads and downloads differ in length");
  }
  for (const double u : c.leecher_uploads) {
    if (!(u >= 0) || !std::isfinite(u)) throw std::invalid_argument("leecher upload must be >= 0");
  }
  for (const double d : c.leecher_downloads) {
    if (!(d > 0)) throw std::invalid_argument("leecher download must be > 0");
  }
  distribution_bounds b;
  b.seed = c.file_size / c.seed_upload;
  const std::size_t n = c.leecher_uploads.size();
  if (n == 0) return b;
  b.download =
      c.file_size / *std::min_element(c.leecher_downloads.begin(), c.leecher_downloads.end());
  const double total_upload =
      std::accumulate(c.leecher_uploads.begin(), c.leecher_uploads.end(), c.seed_upload);
  b.aggregate = static_cast<double>(n) * c.file_size / total_upload;
  return b;
}

double minimum_distribution_time(const swarm_capacities& c) {
  const distribution_bounds b = kumar_ross_bounds(c);
  return c.leecher_uploads.empty() ? 0.0 : b.minimum_time();
}

swarm_capacities capacities_of(std::span<const peer_record> peers, double file_size) {
  swarm_capacities c;
  c.file_size = file_size;
  for (const peer_record& p : peers) {
    if (p.role == peer_role::initial_seed) {
      c.seed_upload += p.upload_capacity;
    } else {
      c.leecher_uploads.push_back(p.upload_capacity);
      c.leecher_downloads.push_back(p.download_capacity);
    }
  }
  return c;
}

swarm_capacities capacities_at_start(std::span<const planned_peer> plan, double file_size) {
  swarm_capacities c;
  c.file_size = file_size;
  for (const planned_peer& p : plan) {
    if (p.arrival != protocol::time_origin) continue;
    if (p.initial_seed) {
      c.seed_upload += p.upload;
    } else {
      c.leecher_uploads.push_back(p.upload);
      c.leecher_downloads.push_back(p.download);
    }
  }
  return c;
}

std::optional<duration> t_min_at_start(std::span<const planned_peer> plan,
                                       std::uint64_t file_size) {
  const swarm_capacities c = capacities_at_start(plan, static_cast<double>(file_size));
  const auto& down = c.leecher_downloads;
  if (down.empty() || !(c.seed_upload > 0) || !(*std::min_element(down.begin(), down.end()) > 0))
    return std::nullopt;
  return protocol::from_seconds(kumar_ross_bounds(c).minimum_time());
}

double mundinger_weber_weiss_time(double file_size, double upload, std::uint32_t leechers,
                                  std::uint32_t pieces) {
  if (!(file_size > 0)) throw std::invalid_argument("file size must be > 0");
  if (!(upload > 0)) throw std::invalid_argument("upload must be > 0");
  if (leechers < 1) throw std::invalid_argument("need at least one leecher");
  if (pieces < 1) throw std::invalid_argument("need at least one piece");
  const auto floor_log2 = static_cast<double>(std::bit_width(leechers) - 1);
  return file_size / upload * (1.0 + floor_log2 / static_cast<double>(pieces));
}

fluid_steady_state qiu_srikant_steady_state(const fluid_parameters& p) {
  if (!(p.lambda >= 0)) throw std::invalid_argument("lambda must be >= 0");
  if (!(p.mu > 0)) throw std::invalid_argument("mu must be > 0");
  if (!(p.c > 0)) throw std::invalid_argument("c must be > 0");
  if (!(p.theta >= 0)) throw std::invalid_argument("theta must be >= 0");
  if (!(p.gamma >= 0)) throw std::invalid_argument("gamma must be >= 0");
  if (!(p.eta > 0 && p.eta <= 1)) throw std::invalid_argument("eta must be in (0, 1]");
  // With gamma = 0 seeds never leave: 1/gamma is infinite and the upload term vanishes.
  const double inverse_beta =
      p.gamma == 0 ? 1 / p.c : std::max(1 / p.c, (1 / p.mu - 1 / p.gamma) / p.eta);
  fluid_steady_state s;
  s.beta = 1 / inverse_beta;
  s.leechers = p.lambda / (s.beta + p.theta);
  s.seeds = p.gamma == 0 ? (p.lambda > 0 ? std::numeric_limits<double>::infinity() : 0.0)
                         : p.lambda / (p.gamma * (1 + p.theta / s.beta));
  s.download_time = 1 / (p.theta + s.beta);
  return s;
}

}  // namespace swarmsim::sim
