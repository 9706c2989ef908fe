#include "sim/real/run/real_compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/results/output.hpp"

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
                               download_time_stats(sim, group), download_time_stats(real, group)});
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
  }
}

}  // namespace swarmsim::sim::real
