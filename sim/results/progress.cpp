#include "sim/results/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace swarmsim::sim {

namespace {

constexpr std::size_t bar_width = 30;

// 1234567 -> "1.23 M", 950 -> "950".
std::string si(double v) {
  if (v >= 1e9) return fmt::format("{:.2f} G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.2f} M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.2f} k", v / 1e3);
  return fmt::format("{:.0f} ", v);
}

}  // namespace

progress_display progress_display_for_stderr(verbosity v) {
  return v == verbosity::normal && ::isatty(STDERR_FILENO) ? progress_display::on
                                                           : progress_display::off;
}

progress_bar::progress_bar(std::FILE* out, progress_display display, wall_clock clock)
    : out_(out), display_(display), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

progress_bar::~progress_bar() {
  finish();
}

void progress_bar::check_clock(protocol::duration simulated_now, std::uint32_t completed,
                               std::uint32_t total, std::uint64_t events) {
  const auto now = clock_();
  if (!drawn_) {
    start_ = now;
    events_at_start_ = events;
  } else {
    const auto since_check = now - last_check_;
    if (since_check < target_check_interval / 2) {
      check_stride_ = std::min(check_stride_ * 2, max_check_stride);
    } else if (since_check > target_check_interval * 2) {
      check_stride_ = std::max(check_stride_ / 2, std::uint32_t{1});
    }
  }
  last_check_ = now;
  if (drawn_ && now - last_draw_ < min_redraw_interval) return;
  const double fraction = total == 0 ? 0.0 : std::min(1.0, static_cast<double>(completed) / total);
  const auto filled = static_cast<std::size_t>(fraction * bar_width);
  const std::string bar = std::string(filled, '#') + std::string(bar_width - filled, '-');
  const double wall = std::chrono::duration<double>(now - start_).count();
  const double sim = protocol::to_seconds(simulated_now);
  std::string line =
      fmt::format("\r[{}] {}/{} leechers done | sim {:.1f} s", bar, completed, total, sim);
  if (wall > 0) {
    line += fmt::format(" | {}events/s | {:.1f}x real time",
                        si(static_cast<double>(events - events_at_start_) / wall), sim / wall);
  }
  line += "\x1b[K";
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
  drawn_ = true;
  last_draw_ = now;
}

void progress_bar::finish() {
  if (finished_) return;
  finished_ = true;
  if (!drawn_) return;
  std::fputs("\r\x1b[K", out_);
  std::fflush(out_);
}

}  // namespace swarmsim::sim
