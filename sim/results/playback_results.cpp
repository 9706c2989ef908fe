#include "sim/results/playback_results.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/results/output_format.hpp"
#include "sim/results/statistics.hpp"

namespace swarmsim::sim {

using namespace output_format;
using phase = protocol::playback::phase;

viewer_point viewer_at(const protocol::playback& pb, protocol::time_point now,
                       const protocol::bitfield& have) {
  protocol::playback at = pb;
  at.advance(now, have);
  return {at.state(), at.played(now), at.buffer_ahead(now, have)};
}

std::optional<protocol::playback_metrics> viewer_outcome(const protocol::peer& p,
                                                         protocol::time_point now) {
  const protocol::playback* pb = p.playback_state();
  if (!pb) return std::nullopt;
  return pb->outcome(now, p.have());
}

playback_sample summarize_viewers(std::span<const viewer_point> viewers) {
  playback_sample s;
  std::vector<double> buffers;
  double played = 0;
  for (const viewer_point& v : viewers) {
    if (v.phase == phase::finished) continue;
    ++s.viewers;
    if (v.phase == phase::waiting) ++s.waiting;
    if (v.phase == phase::stalled) ++s.stalled;
    played += v.played;
    buffers.push_back(v.buffer);
  }
  if (buffers.empty()) {
    s.position_mean = s.buffer_mean = s.buffer_p10 = s.buffer_median = std::nan("");
    return s;
  }
  std::sort(buffers.begin(), buffers.end());
  const auto n = static_cast<double>(buffers.size());
  s.position_mean = played / n;
  double sum = 0;
  for (const double b : buffers)
    sum += b;
  s.buffer_mean = sum / n;
  s.buffer_p10 = quantile(buffers, 0.1);
  s.buffer_median = quantile(buffers, 0.5);
  return s;
}

namespace {

std::optional<viewer_stats> stats_of(const std::vector<double>& values) {
  const auto d = describe(values);
  if (!d) return std::nullopt;
  viewer_stats v{*d, std::nullopt, std::nullopt};
  if (const auto st = compute_statistics(values)) {
    v.ci_low = st->ci_low;
    v.ci_high = st->ci_high;
  }
  return v;
}

}  // namespace

std::optional<playback_summary> summarize_playback(std::span<const peer_record> peers) {
  playback_summary s;
  std::vector<double> startup, stalls, stall_time, continuity, skipped;
  for (const peer_record& p : peers) {
    if (!p.playback) continue;
    const protocol::playback_metrics& m = *p.playback;
    ++s.viewers;
    if (m.finished) ++s.finished;
    if (!m.startup_delay) continue;
    ++s.started;
    startup.push_back(protocol::to_seconds(*m.startup_delay));
    stalls.push_back(m.stalls);
    stall_time.push_back(protocol::to_seconds(m.stall_time));
    if (m.on_time + m.late > 0) continuity.push_back(m.continuity());
    skipped.push_back(m.skipped);
  }
  if (s.viewers == 0) return std::nullopt;
  s.startup_delay = stats_of(startup);
  s.stalls = stats_of(stalls);
  s.stall_time = stats_of(stall_time);
  s.continuity = stats_of(continuity);
  s.skipped = stats_of(skipped);
  return s;
}

std::vector<std::string> playback_peer_header() {
  return {"startup_delay_s", "stalls",      "stall_time_s",  "continuity",
          "pieces_on_time",  "pieces_late", "pieces_skipped"};
}

std::vector<std::string> playback_peer_fields(const peer_record& p) {
  if (!p.playback) return std::vector<std::string>(playback_peer_header().size());
  const protocol::playback_metrics& m = *p.playback;
  return {csv_seconds(m.startup_delay),
          fmt::format("{}", m.stalls),
          format_seconds(m.stall_time),
          m.on_time + m.late > 0 ? csv_fixed(m.continuity(), 6) : std::string(),
          fmt::format("{}", m.on_time),
          fmt::format("{}", m.late),
          fmt::format("{}", m.skipped)};
}

std::vector<std::string> playback_sample_header() {
  return {"viewers",       "viewers_waiting", "viewers_stalled", "position_mean_s",
          "buffer_mean_s", "buffer_p10_s",    "buffer_median_s"};
}

std::vector<std::string> playback_sample_fields(const playback_sample& x) {
  return {fmt::format("{}", x.viewers),  fmt::format("{}", x.waiting), fmt::format("{}", x.stalled),
          csv_fixed(x.position_mean, 3), csv_fixed(x.buffer_mean, 3),  csv_fixed(x.buffer_p10, 3),
          csv_fixed(x.buffer_median, 3)};
}

std::string playback_summary_json(const playback_summary& s) {
  // Like the other distributions, with the confidence interval of the mean.
  const auto stats = [](const std::optional<viewer_stats>& v) {
    json_object o = distribution_object(v ? std::optional(v->values) : std::nullopt, 4);
    o.number("ci95_low", v ? v->ci_low : std::nullopt, 6);
    o.number("ci95_high", v ? v->ci_high : std::nullopt, 6);
    return o.str();
  };
  json_object o(2);
  o.integer("viewers", s.viewers)
      .integer("started", s.started)
      .integer("finished", s.finished)
      .raw("startup_delay_s", stats(s.startup_delay))
      .raw("stalls", stats(s.stalls))
      .raw("stall_time_s", stats(s.stall_time))
      .raw("continuity", stats(s.continuity))
      .raw("pieces_skipped", stats(s.skipped));
  return o.str();
}

std::string playback_summary_text(const playback_summary& s) {
  std::string out =
      fmt::format("viewers: {} started, {} of {} finished", s.started, s.finished, s.viewers);
  if (s.startup_delay)
    out += fmt::format("; startup median {} s", fixed(s.startup_delay->values.median, 3, "-"));
  if (s.stalls)
    out +=
        fmt::format(", stalls mean {}, stall time mean {} s", fixed(s.stalls->values.mean, 2, "-"),
                    fixed(s.stall_time->values.mean, 3, "-"));
  if (s.continuity)
    out += fmt::format(", continuity mean {}", fixed(s.continuity->values.mean, 4, "-"));
  return out + "\n";
}

}  // namespace swarmsim::sim
