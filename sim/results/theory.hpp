#pragma once
// Closed-form results to compare simulated runs against. Sources: R. Kumar and
// K. Ross, "Peer-assisted file distribution: the minimum distribution time",
// IEEE HotWeb 2006; J. Mundinger, R. Weber and G. Weiss, "Optimal scheduling of
// peer-to-peer file dissemination", Journal of Scheduling 11 (2008); D. Qiu and
// R. Srikant, "Modeling and performance analysis of BitTorrent-like
// peer-to-peer networks", ACM SIGCOMM 2004.
//
// 1. Kumar & Ross (2006): the minimum time to distribute a file of F bytes from
//    initial seeds of total upload u_s to N leechers with uploads u_i and
//    downloads d_i is T_min = max(F / u_s, F / min_i d_i, N F / (u_s + sum_i u_i)).
// 2. Mundinger, Weber & Weiss (2008): with M equal pieces and every node
//    (server and leechers) uploading u, the optimal makespan is
//    (F / u) (1 + floor(log2 N) / M).
// 3. Qiu & Srikant (2004): the steady state of the fluid model
//      dx/dt = lambda - theta x - min(c x, mu (eta x + y)),
//      dy/dt = min(c x, mu (eta x + y)) - gamma y,
//    with 1/beta = max(1/c, (1/eta)(1/mu - 1/gamma)):
//      x = lambda / (beta + theta), y = lambda / (gamma (1 + theta / beta)),
//      T = 1 / (theta + beta).
// All rates are per second; sizes are bytes except in the fluid model, whose
// mu and c count files per second.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sim/engine/population.hpp"
#include "sim/results/metrics.hpp"

namespace swarmsim::sim {

// The swarm as Kumar & Ross see it.
struct swarm_capacities {
  double file_size = 0;                   // F, bytes (> 0)
  double seed_upload = 0;                 // u_s, bytes/s: total upload of the initial seeds (> 0)
  std::vector<double> leecher_uploads;    // u_i, bytes/s (>= 0)
  std::vector<double> leecher_downloads;  // d_i, bytes/s (> 0), same length as leecher_uploads
};

// The three lower bounds of Kumar & Ross, in seconds; the largest is T_min.
struct distribution_bounds {
  double seed = 0;       // F / u_s: the seeds must upload one copy
  double download = 0;   // F / min_i d_i: the slowest downloader (0 with no leechers)
  double aggregate = 0;  // N F / (u_s + sum_i u_i): N copies through the total upload

  double minimum_time() const;
};

// Throws std::invalid_argument for a capacity outside the ranges above.
distribution_bounds kumar_ross_bounds(const swarm_capacities& c);
// T_min in seconds; 0 with no leechers (there is nothing to distribute).
double minimum_distribution_time(const swarm_capacities& c);

// Capacities of a run's peers: initial seeds' uploads add up to u_s, every
// leecher contributes (u_i, d_i).
swarm_capacities capacities_of(std::span<const peer_record> peers, double file_size);

// The swarm at t = 0 of a scenario's plan: the initial seeds that arrive then
// add up to u_s, the leechers that arrive then contribute (u_i, d_i); later
// arrivals do not count.
swarm_capacities capacities_at_start(std::span<const planned_peer> plan, double file_size);
// T_min of capacities_at_start(plan), as both drivers report it (run_info::t_min):
// nullopt with no leecher, no seed upload or a leecher without download then.
std::optional<duration> t_min_at_start(std::span<const planned_peer> plan, std::uint64_t file_size);

// (F / u)(1 + floor(log2 N) / M) seconds. Throws std::invalid_argument unless
// F > 0, u > 0, N >= 1 and M >= 1.
double mundinger_weber_weiss_time(double file_size, double upload, std::uint32_t leechers,
                                  std::uint32_t pieces);

struct fluid_parameters {
  double lambda = 0;  // leecher arrival rate, 1/s (>= 0)
  double mu = 0;      // upload per peer, files/s (> 0)
  double c = 0;       // download per peer, files/s (> 0)
  double theta = 0;   // leecher abort rate, 1/s (>= 0)
  double gamma = 0;   // seed departure rate, 1/s (>= 0; 0 = seeds stay forever)
  double eta = 1;     // efficiency of leecher uploads, in (0, 1]
};

struct fluid_steady_state {
  double beta = 0;           // completion rate per leecher, 1/s
  double leechers = 0;       // x
  double seeds = 0;          // y; infinite when gamma = 0 (seeds accumulate)
  double download_time = 0;  // T = 1 / (theta + beta), seconds: the average download time
};

// Throws std::invalid_argument for a parameter outside the ranges above.
fluid_steady_state qiu_srikant_steady_state(const fluid_parameters& p);

}  // namespace swarmsim::sim
