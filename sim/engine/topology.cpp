#include "sim/engine/topology.hpp"

#include <fmt/format.h>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <limits>

namespace swarmsim::sim {

namespace {

using latency_ns = duration::rep;
using graph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property,
                          boost::property<boost::edge_weight_t, latency_ns>>;

}  // namespace

topology topology::build(const std::vector<site_spec>& sites, const std::vector<link_spec>& links,
                         duration local_latency) {
  if (sites.empty()) throw topology_error("network: no sites");
  if (local_latency < duration::zero()) {
    throw topology_error(
        fmt::format("network: local latency is negative ({} ns)", local_latency.count()));
  }

  topology t;
  t.local_latency_ = local_latency;
  for (const auto& s : sites) {
    if (s.name.empty()) throw topology_error("network: a site has an empty name");
    const auto id = static_cast<std::uint32_t>(t.names_.size());
    if (!t.index_.emplace(s.name, id).second) {
      throw topology_error(fmt::format("network: site '{}' is listed twice", s.name));
    }
    t.names_.push_back(s.name);
  }

  const auto n = t.names_.size();
  graph g(n);
  for (const auto& l : links) {
    auto a = t.find_site(l.a);
    auto b = t.find_site(l.b);
    if (!a || !b) {
      throw topology_error(
          fmt::format("network: link {} - {} names unknown site '{}'", l.a, l.b, a ? l.b : l.a));
    }
    if (*a == *b) {
      throw topology_error(fmt::format("network: link joins site '{}' to itself", l.a));
    }
    if (l.latency < duration::zero()) {
      throw topology_error(fmt::format("network: link {} - {} has negative latency ({} ns)", l.a,
                                       l.b, l.latency.count()));
    }
    boost::add_edge(*a, *b, l.latency.count(), g);
  }

  constexpr auto unreachable = std::numeric_limits<latency_ns>::max();
  t.matrix_.resize(n * n);
  std::vector<latency_ns> dist(n);
  for (std::size_t from = 0; from < n; ++from) {
    boost::dijkstra_shortest_paths(
        g, from,
        boost::distance_map(
            boost::make_iterator_property_map(dist.begin(), boost::get(boost::vertex_index, g)))
            .distance_inf(unreachable));
    for (std::size_t to = 0; to < n; ++to) {
      if (dist[to] == unreachable) {
        throw topology_error(fmt::format("network: no route between sites '{}' and '{}'",
                                         t.names_[from], t.names_[to]));
      }
      t.matrix_[from * n + to] = from == to ? local_latency : duration{dist[to]};
    }
  }
  return t;
}

std::optional<std::uint32_t> topology::find_site(std::string_view name) const {
  auto it = index_.find(name);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::uint32_t topology::site_index(std::string_view name) const {
  if (auto id = find_site(name)) return *id;
  throw topology_error(fmt::format("network: unknown site '{}'", name));
}

}  // namespace swarmsim::sim
