#include "sim/results/overlay.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/clustering_coefficient.hpp>
#include <boost/graph/connected_components.hpp>
#include <cmath>
#include <limits>

#include "sim/results/metrics.hpp"
#include "sim/results/output.hpp"

namespace swarmsim::sim {

namespace {

// setS out-edges: the clustering coefficient looks edges up, O(log degree) each.
using undirected_graph = boost::adjacency_list<boost::setS, boost::vecS, boost::undirectedS>;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

}  // namespace

double pearson(std::span<const std::pair<double, double>> pairs) {
  if (pairs.size() < 2) return nan;
  const auto n = static_cast<double>(pairs.size());
  double mx = 0, my = 0;
  for (const auto& [x, y] : pairs) {
    mx += x;
    my += y;
  }
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (const auto& [x, y] : pairs) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) * (x - mx);
    syy += (y - my) * (y - my);
  }
  if (sxx <= 0 || syy <= 0) return nan;
  return sxy / std::sqrt(sxx * syy);
}

overlay_sample measure_overlay(const overlay_snapshot& snapshot, duration time) {
  overlay_sample s;
  s.time = time;
  const auto n = static_cast<std::uint32_t>(snapshot.upload.size());
  s.nodes = n;
  undirected_graph g(n);
  for (const auto& [a, b] : snapshot.connections)
    if (a != b) boost::add_edge(a, b, g);
  s.edges = static_cast<std::uint32_t>(boost::num_edges(g));
  if (n == 0) {
    s.mean_degree = s.degree_p10 = s.degree_p50 = s.degree_p90 = nan;
    s.clustering_global = s.clustering_average = nan;
  } else {
    std::vector<double> degrees(n);
    for (std::uint32_t v = 0; v < n; ++v) {
      const auto d = static_cast<std::uint32_t>(boost::degree(v, g));
      degrees[v] = d;
      s.max_degree = std::max(s.max_degree, d);
    }
    std::sort(degrees.begin(), degrees.end());
    s.mean_degree = 2.0 * s.edges / n;
    s.degree_p10 = quantile(degrees, 0.1);
    s.degree_p50 = quantile(degrees, 0.5);
    s.degree_p90 = quantile(degrees, 0.9);

    std::vector<std::uint32_t> component(n);
    s.components = static_cast<std::uint32_t>(boost::connected_components(g, component.data()));
    std::vector<std::uint32_t> sizes(s.components, 0);
    for (const auto c : component)
      ++sizes[c];
    s.largest_component = *std::max_element(sizes.begin(), sizes.end());

    double triangles = 0, triples = 0, local_sum = 0;
    for (std::uint32_t v = 0; v < n; ++v) {
      const auto t = static_cast<double>(boost::num_triangles_on_vertex(g, v));
      const auto p = static_cast<double>(boost::num_paths_through_vertex(g, v));
      triangles += t;
      triples += p;
      local_sum += p > 0 ? t / p : 0.0;
    }
    s.clustering_global = triples > 0 ? triangles / triples : nan;
    s.clustering_average = local_sum / n;
  }

  std::vector<std::pair<double, double>> pairs;
  pairs.reserve(snapshot.unchokes.size());
  std::uint32_t same = 0;
  for (const auto& [from, to] : snapshot.unchokes) {
    const double a = snapshot.upload[from];
    const double b = snapshot.upload[to];
    pairs.emplace_back(a, b);
    if (a == b) ++same;
  }
  s.unchoke_edges = static_cast<std::uint32_t>(pairs.size());
  s.unchoke_assortativity = pearson(pairs);
  s.unchoke_same_capacity = pairs.empty() ? nan : static_cast<double>(same) / pairs.size();
  return s;
}

std::string format_overlay_csv(std::span<const overlay_sample> samples) {
  std::string out =
      "time_s,nodes,edges,mean_degree,max_degree,degree_p10,degree_p50,degree_p90,components,"
      "largest_component,clustering_global,clustering_average,unchoke_edges,"
      "unchoke_assortativity,unchoke_same_capacity\n";
  for (const auto& s : samples) {
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", format_seconds(s.time), s.nodes, s.edges,
        csv_number(s.mean_degree, 6), s.max_degree, csv_number(s.degree_p10, 6),
        csv_number(s.degree_p50, 6), csv_number(s.degree_p90, 6), s.components, s.largest_component,
        csv_number(s.clustering_global, 6), csv_number(s.clustering_average, 6), s.unchoke_edges,
        csv_number(s.unchoke_assortativity, 6), csv_number(s.unchoke_same_capacity, 6));
  }
  return out;
}

std::filesystem::path write_overlay_csv(output_directory& dir,
                                        std::span<const overlay_sample> samples) {
  return dir.add(overlay_csv_name, format_overlay_csv(samples));
}

}  // namespace swarmsim::sim
