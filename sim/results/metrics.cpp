#include "sim/results/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <utility>
#include <vector>

#include "sim/results/playback_results.hpp"

namespace swarmsim::sim {

std::string_view to_string(peer_role r) {
  switch (r) {
    case peer_role::initial_seed:
      return "initial_seed";
    case peer_role::leecher:
      return "leecher";
  }
  return "unknown";
}

std::optional<duration> peer_record::download_time() const {
  if (!completion) return std::nullopt;
  return *completion - arrival;
}

std::optional<duration> peer_record::time_to_first_piece() const {
  if (!first_piece) return std::nullopt;
  return *first_piece - arrival;
}

std::optional<double> peer_record::share_ratio() const {
  if (bytes_downloaded == 0) return std::nullopt;
  return static_cast<double>(bytes_uploaded) / static_cast<double>(bytes_downloaded);
}

double piece_entropy(std::span<const std::uint32_t> copies_per_piece) {
  double total = 0;
  for (const std::uint32_t c : copies_per_piece)
    total += c;
  if (total == 0) return 0;
  if (copies_per_piece.size() == 1) return 1;
  double h = 0;
  for (const std::uint32_t c : copies_per_piece) {
    if (c == 0) continue;
    const double p = c / total;
    h -= p * std::log(p);
  }
  const double normalised = h / std::log(static_cast<double>(copies_per_piece.size()));
  return std::clamp(normalised, 0.0, 1.0);
}

availability_stats compute_availability(std::span<const std::uint32_t> copies_per_piece) {
  availability_stats s;
  if (copies_per_piece.empty()) return s;
  s.min = *std::min_element(copies_per_piece.begin(), copies_per_piece.end());
  double total = 0;
  for (const std::uint32_t c : copies_per_piece)
    total += c;
  s.mean = total / static_cast<double>(copies_per_piece.size());
  s.entropy = piece_entropy(copies_per_piece);
  return s;
}

double quantile(std::span<const double> sorted, double q) {
  if (sorted.empty()) throw std::invalid_argument("quantile of an empty set");
  if (!(q >= 0 && q <= 1)) throw std::invalid_argument("quantile outside [0, 1]");
  const double h = static_cast<double>(sorted.size() - 1) * q;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted[lo];
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

std::optional<distribution_stats> describe(std::span<const double> values) {
  if (values.empty()) return std::nullopt;
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  distribution_stats d;
  d.count = sorted.size();
  d.min = sorted.front();
  d.max = sorted.back();
  d.median = quantile(sorted, 0.5);
  d.p90 = quantile(sorted, 0.9);
  d.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(d.count);
  return d;
}

std::optional<double> upload_utilisation_over_demand(std::span<const peer_record> peers,
                                                     std::span<const sample> samples) {
  // The live upload capacity is a step function: +capacity at each arrival,
  // -capacity at each departure. Walk its steps along the sampling intervals.
  std::vector<std::pair<duration, double>> steps;
  steps.reserve(peers.size() * 2);
  for (const peer_record& p : peers) {
    steps.emplace_back(p.arrival, p.upload_capacity);
    if (p.departure) steps.emplace_back(*p.departure, -p.upload_capacity);
  }
  std::stable_sort(steps.begin(), steps.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::size_t next_step = 0;
  double capacity = 0;
  duration cursor{};
  // Integral of the live capacity from `cursor` to `end`, in bytes.
  const auto capacity_until = [&](duration end) {
    double area = 0;
    while (next_step < steps.size() && steps[next_step].first <= end) {
      if (steps[next_step].first > cursor) {
        area += capacity * protocol::to_seconds(steps[next_step].first - cursor);
        cursor = steps[next_step].first;
      }
      capacity += steps[next_step].second;
      ++next_step;
    }
    if (end > cursor) {
      area += capacity * protocol::to_seconds(end - cursor);
      cursor = end;
    }
    return area;
  };

  double uploaded = 0;
  double available = 0;
  duration start{};
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const duration end = samples[i].time;
    const double area = capacity_until(end);
    const bool demand = i == 0 ? samples[0].leechers > 0 : samples[i - 1].leechers > 0;
    if (demand && end > start) {
      uploaded += samples[i].upload_rate * protocol::to_seconds(end - start);
      available += area;
    }
    start = std::max(start, end);
  }
  if (!(available > 0)) return std::nullopt;
  return std::min(1.0, uploaded / available);
}

run_summary summarize(std::span<const peer_record> peers, std::span<const sample> samples,
                      const run_info& info) {
  run_summary s;
  s.scenario = info.scenario;
  s.seed = info.seed;
  s.peers = static_cast<std::uint32_t>(peers.size());
  s.simulated_time = info.simulated_end;
  s.events = info.events;
  s.wall_seconds = info.wall_seconds;
  if (info.wall_seconds > 0) {
    s.events_per_wall_second = static_cast<double>(info.events) / info.wall_seconds;
  }
  s.t_min = info.t_min;

  std::vector<double> download_seconds;
  std::vector<double> first_piece_seconds;
  std::vector<double> share_ratios;
  std::optional<duration> last_completion;
  std::optional<duration> first_leecher_arrival;
  for (const peer_record& p : peers) {
    s.bytes_uploaded += p.bytes_uploaded;
    s.bytes_downloaded += p.bytes_downloaded;
    s.bytes_wasted += p.bytes_wasted;
    if (p.role == peer_role::initial_seed) {
      ++s.initial_seeds;
      continue;
    }
    ++s.leechers;
    if (!first_leecher_arrival || p.arrival < *first_leecher_arrival) {
      first_leecher_arrival = p.arrival;
    }
    if (const auto t = p.time_to_first_piece()) {
      first_piece_seconds.push_back(protocol::to_seconds(*t));
    }
    if (const auto r = p.share_ratio()) share_ratios.push_back(*r);
    if (const auto t = p.download_time()) {
      ++s.completed;
      download_seconds.push_back(protocol::to_seconds(*t));
      if (!last_completion || *p.completion > *last_completion) last_completion = p.completion;
    } else if (p.departure) {
      ++s.aborted;
    }
  }
  s.download_time = describe(download_seconds);
  s.time_to_first_piece = describe(first_piece_seconds);
  s.share_ratio = describe(share_ratios);
  if (s.leechers > 0) {
    s.completed_fraction = static_cast<double>(s.completed) / static_cast<double>(s.leechers);
  }
  if (s.leechers > 0 && s.completed == s.leechers) {
    s.all_done = last_completion;
    s.distribution_time = *last_completion - *first_leecher_arrival;
    if (s.t_min && s.t_min->count() > 0) {
      s.distribution_time_over_t_min =
          protocol::to_seconds(*s.distribution_time) / protocol::to_seconds(*s.t_min);
    }
  }

  double utilisation_sum = 0;
  double availability_sum = 0;
  double entropy_sum = 0;
  double only_at_seeds_sum = 0;
  std::size_t demand_samples = 0;
  for (const sample& x : samples) {
    s.peak_leechers = std::max(s.peak_leechers, x.leechers);
    if (x.leechers == 0) continue;
    ++demand_samples;
    utilisation_sum += x.upload_utilisation;
    availability_sum += x.availability_mean;
    entropy_sum += x.entropy;
    only_at_seeds_sum += x.pieces_only_at_seeds;
    s.availability_min =
        std::min(s.availability_min.value_or(x.availability_min), x.availability_min);
    s.entropy_min = std::min(s.entropy_min.value_or(x.entropy), x.entropy);
    s.pieces_only_at_seeds_max = std::max(
        s.pieces_only_at_seeds_max.value_or(x.pieces_only_at_seeds), x.pieces_only_at_seeds);
  }
  if (demand_samples > 0) {
    const auto n = static_cast<double>(demand_samples);
    s.mean_upload_utilisation = utilisation_sum / n;
    s.availability_mean = availability_sum / n;
    s.entropy_mean = entropy_sum / n;
    s.pieces_only_at_seeds_mean = only_at_seeds_sum / n;
  }
  s.upload_utilisation = upload_utilisation_over_demand(peers, samples);
  s.playback = summarize_playback(peers);
  return s;
}

}  // namespace swarmsim::sim
