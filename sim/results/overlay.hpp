#pragma once
// Metrics of the swarm's overlay at one instant, and overlay.csv.
//
// The driver hands a snapshot of the live peers every simulation.overlay_interval:
// who is connected to whom (an undirected graph) and who unchokes whom (a
// directed graph). measure_overlay() turns it into one overlay_sample with
// Boost.Graph (connected components, clustering coefficients).
//
// 1. Node indices are 0 .. nodes - 1; edges name valid nodes, no self-loops;
//    each connection is listed once (either direction).
// 2. unchokes holds the regular unchokes of leechers (tit-for-tat reciprocation):
//    seeds' unchokes and optimistic unchokes are left out, since they do not
//    depend on what the unchoked peer gives back (Legout et al., SIGMETRICS 2007).
// 3. A metric that is undefined (no nodes, no edges, zero variance) is NaN and is
//    written as an empty CSV field.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/types.hpp"

namespace swarmsim::sim {

class output_directory;

using protocol::duration;

struct overlay_snapshot {
  std::vector<double> upload;  // per node: upload capacity, bytes/s
  std::vector<std::pair<std::uint32_t, std::uint32_t>> connections;  // undirected
  std::vector<std::pair<std::uint32_t, std::uint32_t>> unchokes;     // first unchokes second
};

struct overlay_sample {
  duration time{};
  std::uint32_t nodes = 0;  // live peers
  std::uint32_t edges = 0;  // open connections
  double mean_degree = 0;
  std::uint32_t max_degree = 0;
  double degree_p10 = 0;  // quantiles of the degree distribution (type 7)
  double degree_p50 = 0;
  double degree_p90 = 0;
  std::uint32_t components = 0;  // connected components (an isolated peer is one)
  std::uint32_t largest_component = 0;
  // Transitivity: 3 x triangles / connected triples.
  double clustering_global = 0;
  // Mean over nodes of the local clustering coefficient (0 for degree < 2).
  double clustering_average = 0;
  std::uint32_t unchoke_edges = 0;
  // Pearson correlation of the unchoker's and the unchoked peer's upload
  // capacity over the unchoke edges (Newman's assortativity of a directed graph):
  // > 0 when peers unchoke peers of similar capacity.
  double unchoke_assortativity = 0;
  // Fraction of unchoke edges between peers of equal upload capacity.
  double unchoke_same_capacity = 0;
};

overlay_sample measure_overlay(const overlay_snapshot& snapshot, duration time);

// Pearson correlation of the pairs; NaN with fewer than 2 pairs or zero variance.
double pearson(std::span<const std::pair<double, double>> pairs);

inline constexpr std::string_view overlay_csv_name = "overlay.csv";

std::string format_overlay_csv(std::span<const overlay_sample> samples);
// Writes overlay.csv into `dir` (atomically); returns its path. Throws output_error.
std::filesystem::path write_overlay_csv(output_directory& dir,
                                        std::span<const overlay_sample> samples);

}  // namespace swarmsim::sim
