#pragma once
// `swarmsim run --compare`: the download-time distributions of a simulated and a
// real run of one scenario, side by side.
//
// A comparison has one row per group of leechers (peers.csv's group column, so
// bandwidth classes count as groups) plus an "all" row first; with a single group
// only "all". Each side holds the completed leechers' download times in seconds:
// count, min, p10, median, p90, max, mean (quantiles as sim::quantile, type 7).
// A relative difference is (real - sim) / sim; empty when either side is empty or
// the simulated value is 0. A group with viewers (playback) also compares their
// outcome (sim/results/playback_results.hpp): median startup delay, mean stalls,
// mean stall time and mean continuity.

#include <cstddef>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/results/metrics.hpp"

namespace swarmsim::sim::real {

struct time_stats {  // seconds
  std::size_t count = 0;
  double min = 0;
  double p10 = 0;
  double median = 0;
  double p90 = 0;
  double max = 0;
  double mean = 0;
};

// Of the download times of the leechers in `peers` that completed, restricted
// to `group` unless it is empty; nullopt if none completed.
std::optional<time_stats> download_time_stats(std::span<const peer_record> peers,
                                              std::string_view group = {});

struct compare_row {
  std::string group;  // "all" or a group name
  std::size_t leechers_sim = 0;
  std::size_t leechers_real = 0;
  std::optional<time_stats> sim;
  std::optional<time_stats> real;
  std::optional<playback_summary> viewers_sim;  // empty without viewers
  std::optional<playback_summary> viewers_real;
};

std::vector<compare_row> compare_download_times(std::span<const peer_record> sim,
                                                std::span<const peer_record> real);

std::optional<double> relative_difference(double sim, double real);

// compare.csv: group,statistic,sim,real,relative_difference with statistics
// leechers, completed, then the seconds ones (min ... mean), then for a group
// with viewers: viewers, startup_median_s, stalls_mean, stall_time_mean_s and
// continuity_mean.
std::string format_compare_csv(std::span<const compare_row> rows);

// A table for people: per group, the statistics with sim, real and the difference.
void print_compare(std::FILE* out, std::span<const compare_row> rows);

}  // namespace swarmsim::sim::real
