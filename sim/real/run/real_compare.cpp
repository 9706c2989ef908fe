#include "sim/real/run/real_compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/results/output.hpp"
#include "sim/results/playback_results.hpp"

namespace swarmsim::sim::real {

namespace {

struct statistic {
  std::string_view name;
  double time_stats::*field;
};

constexpr statistic seconds_stats[] = {
    {"min_s", &time_stats::min}, {"p10_s", &time_stats::p10}, {"median_s", &time_stats::median},
    {"p90_s", &time_stats::p90}, {"max_s", &time_stats::max}, {"mean_s", &time_stats::mean},
};

std::size_t leechers_in(std::span<const peer_record> peers, std::string_view group) {
  return static_cast<std::size_t>(std::count_if(peers.begin(), peers.end(), [&](const auto& p) {
    return p.role == peer_role::leecher && (group.empty() || p.group == group);
  }));
}

std::optional<playback_summary> viewers_in(std::span<const peer_record> peers,
                                           std::string_view group) {
  std::vector<peer_record> in;
  for (const auto& p : peers)
    if (group.empty() || p.group == group) in.push_back(p);
  return summarize_playback(in);
}

// The viewer statistics: name, and the value from a summary if it has one.
struct viewer_statistic {
  std::string_view name;
  std::string_view label;
  std::optional<double> (*of)(const playback_summary&);
};

template <std::optional<viewer_stats> playback_summary::*M, double distribution_stats::*F>
std::optional<double> stat_of(const playback_summary& s) {
  if (!(s.*M)) return std::nullopt;
  return (*(s.*M)).values.*F;
}

constexpr viewer_statistic viewer_stats_list[] = {
    {"startup_median_s", "startup",
     &stat_of<&playback_summary::startup_delay, &distribution_stats::median>},
    {"stalls_mean", "stalls", &stat_of<&playback_summary::stalls, &distribution_stats::mean>},
    {"stall_time_mean_s", "stalled",
     &stat_of<&playback_summary::stall_time, &distribution_stats::mean>},
    {"continuity_mean", "continuity",
     &stat_of<&playback_summary::continuity, &distribution_stats::mean>},
};

std::optional<double> viewer_value(const std::optional<playback_summary>& s,
                                   const viewer_statistic& st) {
  return s ? st.of(*s) : std::nullopt;
}

std::string percent(std::optional<double> x) {
  return x ? fmt::format("{:+.1f}%", *x * 100) : std::string("-");
}

}  // namespace

std::optional<time_stats> download_time_stats(std::span<const peer_record> peers,
                                              std::string_view group) {
  std::vector<double> times;
  for (const auto& p : peers) {
    if (p.role != peer_role::leecher || (!group.empty() && p.group != group)) continue;
    if (const auto t = p.download_time()) times.push_back(protocol::to_seconds(*t));
  }
  const auto d = describe(times);
  if (!d) return std::nullopt;
  std::sort(times.begin(), times.end());
  return time_stats{.count = d->count,
                    .min = d->min,
                    .p10 = quantile(times, 0.1),
                    .median = d->median,
                    .p90 = d->p90,
                    .max = d->max,
                    .mean = d->mean};
}

std::vector<compare_row> compare_download_times(std::span<const peer_record> sim,
                                                std::span<const peer_record> real) {
  std::vector<std::string> groups;
  for (auto side : {sim, real})
    for (const auto& p : side)
      if (p.role == peer_role::leecher &&
          std::find(groups.begin(), groups.end(), p.group) == groups.end())
        groups.push_back(p.group);
  std::vector<compare_row> rows;
  const auto row = [&](std::string name, std::string_view group) {
    rows.push_back(compare_row{std::move(name), leechers_in(sim, group), leechers_in(real, group),
                               download_time_stats(sim, group), download_time_stats(real, group),
                               viewers_in(sim, group), viewers_in(real, group)});
  };
  row("all", {});
  if (groups.size() > 1)
    for (const auto& g : groups)
      row(g, g);
  return rows;
}

std::optional<double> relative_difference(double sim, double real) {
  if (sim == 0 || !std::isfinite(sim) || !std::isfinite(real)) return std::nullopt;
  return (real - sim) / sim;
}

std::string format_compare_csv(std::span<const compare_row> rows) {
  std::string out = "group,statistic,sim,real,relative_difference\n";
  const auto line = [&](const std::string& group, std::string_view stat, std::optional<double> a,
                        std::optional<double> b, int decimals) {
    std::optional<double> d;
    if (a && b) d = relative_difference(*a, *b);
    out +=
        fmt::format("{},{},{},{},{}\n", csv_field(group), stat, a ? csv_number(*a, decimals) : "",
                    b ? csv_number(*b, decimals) : "", d ? csv_number(*d, 4) : "");
  };
  for (const auto& r : rows) {
    line(r.group, "leechers", static_cast<double>(r.leechers_sim),
         static_cast<double>(r.leechers_real), 0);
    line(r.group, "completed", static_cast<double>(r.sim ? r.sim->count : 0),
         static_cast<double>(r.real ? r.real->count : 0), 0);
    for (const auto& st : seconds_stats) {
      std::optional<double> a, b;
      if (r.sim) a = (*r.sim).*st.field;
      if (r.real) b = (*r.real).*st.field;
      line(r.group, st.name, a, b, 3);
    }
    if (!r.viewers_sim && !r.viewers_real) continue;
    line(r.group, "viewers", r.viewers_sim ? r.viewers_sim->viewers : 0.0,
         r.viewers_real ? r.viewers_real->viewers : 0.0, 0);
    for (const auto& st : viewer_stats_list)
      line(r.group, st.name, viewer_value(r.viewers_sim, st), viewer_value(r.viewers_real, st), 3);
  }
  return out;
}

void print_compare(std::FILE* out, std::span<const compare_row> rows) {
  for (const auto& r : rows) {
    fmt::print(out, "download time (s), {}: {} of {} leechers completed simulated, {} of {} real\n",
               r.group, r.sim ? r.sim->count : 0, r.leechers_sim, r.real ? r.real->count : 0,
               r.leechers_real);
    fmt::print(out, "  {:<8} {:>10} {:>10} {:>10}\n", "", "sim", "real", "real/sim");
    for (const auto& st : seconds_stats) {
      const std::string name(st.name.substr(0, st.name.size() - 2));
      const auto cell = [&](const std::optional<time_stats>& t) {
        return t ? fmt::format("{:.2f}", (*t).*st.field) : std::string("-");
      };
      std::optional<double> d;
      if (r.sim && r.real) d = relative_difference((*r.sim).*st.field, (*r.real).*st.field);
      fmt::print(out, "  {:<8} {:>10} {:>10} {:>10}\n", name, cell(r.sim), cell(r.real),
                 percent(d));
    }
    if (!r.viewers_sim && !r.viewers_real) continue;
    fmt::print(out, "playback, {}: {} viewers simulated, {} real (startup and stalled in s)\n",
               r.group, r.viewers_sim ? r.viewers_sim->viewers : 0,
               r.viewers_real ? r.viewers_real->viewers : 0);
    for (const auto& st : viewer_stats_list) {
      const auto a = viewer_value(r.viewers_sim, st);
      const auto b = viewer_value(r.viewers_real, st);
      const auto cell = [](std::optional<double> x) {
        return x ? fmt::format("{:.2f}", *x) : std::string("-");
      };
      fmt::print(out, "  {:<10} {:>8} {:>10} {:>10}\n", st.label, cell(a), cell(b),
                 percent(a && b ? relative_difference(*a, *b) : std::nullopt));
    }
  }
}

}  // namespace swarmsim::sim::real
