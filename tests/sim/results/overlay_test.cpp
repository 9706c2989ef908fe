#include "sim/results/overlay.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "sim/engine/swarm.hpp"
#include "sim/scenario/scenario.hpp"

namespace swarmsim::sim {
namespace {

using namespace std::chrono_literals;

overlay_snapshot graph(std::uint32_t nodes,
                       std::vector<std::pair<std::uint32_t, std::uint32_t>> edges) {
  overlay_snapshot s;
  s.upload.assign(nodes, 1.0);
  s.connections = std::move(edges);
  return s;
}

TEST(overlay, a_triangle_and_an_isolated_peer) {
  const auto m = measure_overlay(graph(4, {{0, 1}, {1, 2}, {2, 0}}), 5s);
  EXPECT_EQ(m.time, 5s);
  EXPECT_EQ(m.nodes, 4u);
  EXPECT_EQ(m.edges, 3u);
  EXPECT_DOUBLE_EQ(m.mean_degree, 1.5);
  EXPECT_EQ(m.max_degree, 2u);
  EXPECT_DOUBLE_EQ(m.degree_p50, 2.0);
  EXPECT_EQ(m.components, 2u);
  EXPECT_EQ(m.largest_component, 3u);
  EXPECT_DOUBLE_EQ(m.clustering_global, 1.0);
  EXPECT_DOUBLE_EQ(m.clustering_average, 0.75);  // (1 + 1 + 1 + 0) / 4
}

TEST(overlay, a_star_has_no_triangles_and_duplicate_edges_count_once) {
  const auto m = measure_overlay(graph(5, {{0, 1}, {0, 2}, {0, 3}, {0, 4}, {1, 0}}), 0s);
  EXPECT_EQ(m.edges, 4u);
  EXPECT_EQ(m.components, 1u);
  EXPECT_EQ(m.max_degree, 4u);
  EXPECT_DOUBLE_EQ(m.degree_p10, 1.0);
  EXPECT_DOUBLE_EQ(m.clustering_global, 0.0);
  EXPECT_DOUBLE_EQ(m.clustering_average, 0.0);
}

TEST(overlay, a_square_with_one_diagonal_has_transitivity_three_fifths) {
  // Two triangles (0-1-2, 0-2-3). Triples by centre: degrees 3, 2, 3, 2 give
  // 3 + 1 + 3 + 1 = 8; closed ones: 2 triangles x 3 = 6.
  const auto m = measure_overlay(graph(4, {{0, 1}, {1, 2}, {2, 3}, {3, 0}, {0, 2}}), 0s);
  EXPECT_DOUBLE_EQ(m.clustering_global, 6.0 / 8.0);
  // Local: nodes 0 and 2 have 2 of 3 neighbour pairs linked, nodes 1 and 3 all.
  EXPECT_DOUBLE_EQ(m.clustering_average, (2.0 / 3 + 1 + 2.0 / 3 + 1) / 4);
}

TEST(overlay, unchoke_assortativity_is_positive_when_like_unchokes_like) {
  overlay_snapshot s;
  s.upload = {100, 100, 500, 500};
  s.unchokes = {{0, 1}, {1, 0}, {2, 3}, {3, 2}};
  auto m = measure_overlay(s, 0s);
  EXPECT_EQ(m.unchoke_edges, 4u);
  EXPECT_DOUBLE_EQ(m.unchoke_assortativity, 1.0);
  EXPECT_DOUBLE_EQ(m.unchoke_same_capacity, 1.0);
  s.unchokes = {{0, 2}, {2, 0}, {1, 3}, {3, 1}};
  m = measure_overlay(s, 0s);
  EXPECT_DOUBLE_EQ(m.unchoke_assortativity, -1.0);
  EXPECT_DOUBLE_EQ(m.unchoke_same_capacity, 0.0);
}

TEST(overlay, undefined_metrics_are_empty_csv_fields) {
  EXPECT_TRUE(std::isnan(pearson(std::vector<std::pair<double, double>>{{1, 2}})));
  EXPECT_TRUE(std::isnan(pearson(std::vector<std::pair<double, double>>{{1, 2}, {1, 3}})));
  const std::vector<overlay_sample> samples{measure_overlay(overlay_snapshot{}, 0s)};
  const std::string csv = format_overlay_csv(samples);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "time_s,nodes,edges,mean_degree,max_degree,degree_p10,degree_p50,degree_p90,"
            "components,largest_component,clustering_global,clustering_average,unchoke_edges,"
            "unchoke_assortativity,unchoke_same_capacity");
  EXPECT_EQ(csv.substr(csv.find('\n') + 1), "0.000000,0,0,,0,,,,0,0,,,0,,\n");
}

TEST(overlay, a_swarm_samples_its_overlay_every_interval_when_asked) {
  const std::string yaml =
      "torrent: {size: 16MiB}\n"
      "groups:\n"
      "  - {name: seed, role: seed, upload: 8Mbit/s}\n"
      "  - {name: leechers, count: 10, upload: 2Mbit/s, download: 8Mbit/s}\n"
      "simulation: {stop: time_limit, time_limit: 20s, overlay_interval: 5s}\n";
  const auto r = swarm(parse_scenario(yaml, "test.yaml")).run();
  ASSERT_EQ(r.overlay.size(), 5u);  // 0, 5, 10, 15, 20 s
  EXPECT_EQ(r.overlay[0].time, 0s);
  EXPECT_EQ(r.overlay[4].time, 20s);
  const auto& late = r.overlay[2];
  EXPECT_EQ(late.nodes, 11u);
  EXPECT_GT(late.edges, 10u);  // everyone got connected through the tracker
  EXPECT_EQ(late.components, 1u);
  EXPECT_EQ(late.largest_component, 11u);

  // Off by default.
  const auto off = swarm(parse_scenario("torrent: {size: 1MiB}\n"
                                        "groups: [{name: seed, role: seed}, {name: l, count: 2}]\n",
                                        "test.yaml"))
                       .run();
  EXPECT_TRUE(off.overlay.empty());
}

}  // namespace
}  // namespace swarmsim::sim
