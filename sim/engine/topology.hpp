#pragma once
// The network's sites and the one-way propagation latency between every pair.
//
// Built once from the scenario's sites and links (an undirected graph, edge
// weight = one-way latency); routes are shortest paths found with Boost.Graph's
// Dijkstra, from every site, into an all-pairs matrix.
// 1. latency(a, b) == latency(b, a); latency(a, a) == local_latency.
// 2. For a != b, latency(a, b) is the sum of link latencies along the shortest
//    route, nothing added.
// 3. Every pair of sites is connected, site names are unique and non-empty,
//    every link names known sites, no latency is negative; build() throws
//    topology_error naming the offending sites otherwise.

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace swarmsim::sim {

class topology_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class topology {
 public:
  static topology build(const std::vector<site_spec>& sites, const std::vector<link_spec>& links,
                        duration local_latency);
  static topology build(const network_spec& network) {
    return build(network.sites, network.links, network.local_latency);
  }

  std::size_t num_sites() const { return names_.size(); }
  // Throws topology_error for an unknown name.
  std::uint32_t site_index(std::string_view name) const;
  std::optional<std::uint32_t> find_site(std::string_view name) const;
  const std::string& site_name(std::uint32_t site) const { return names_[site]; }

  // One-way latency; a and b must be < num_sites().
  duration latency(std::uint32_t a, std::uint32_t b) const {
    return matrix_[static_cast<std::size_t>(a) * names_.size() + b];
  }
  duration local_latency() const { return local_latency_; }

 private:
  std::vector<std::string> names_;
  std::map<std::string, std::uint32_t, std::less<>> index_;
  std::vector<duration> matrix_;  // row-major, num_sites x num_sites
  duration local_latency_{};
};

}  // namespace swarmsim::sim
