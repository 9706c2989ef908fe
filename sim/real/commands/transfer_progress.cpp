#include "sim/real/commands/transfer_progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace swarmsim::sim::real {

namespace {
constexpr std::size_t bar_width = 24;
}

std::string human_bytes(double bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t u = 0;
  while (bytes >= 1024 && u + 1 < std::size(units)) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

std::string human_eta(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 100 * 3600) return "--:--";
  const auto s = static_cast<std::uint64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

transfer_progress::transfer_progress(std::FILE* out, progress_display display)
    : out_(out), display_(display) {}

transfer_progress::~transfer_progress() {
  finish();
}

void transfer_progress::record(const transfer_sample& s, clock::time_point now) {
  points_.push_back(point{now, s.downloaded, s.uploaded});
  while (points_.size() > 2 && now - points_.front().at > rate_window)
    points_.pop_front();
}

double transfer_progress::download_rate() const {
  if (points_.size() < 2) return 0;
  const double dt = std::chrono::duration<double>(points_.back().at - points_.front().at).count();
  return dt > 0 ? static_cast<double>(points_.back().downloaded - points_.front().downloaded) / dt
                : 0;
}

double transfer_progress::upload_rate() const {
  if (points_.size() < 2) return 0;
  const double dt = std::chrono::duration<double>(points_.back().at - points_.front().at).count();
  return dt > 0 ? static_cast<double>(points_.back().uploaded - points_.front().uploaded) / dt : 0;
}

std::string transfer_progress::line(const transfer_sample& s) const {
  const double fraction =
      s.total_bytes == 0
          ? 1.0
          : std::min(1.0, static_cast<double>(s.bytes_had) / static_cast<double>(s.total_bytes));
  const auto filled = static_cast<std::size_t>(fraction * bar_width);
  const double down = download_rate();
  const double left = static_cast<double>(s.total_bytes - std::min(s.bytes_had, s.total_bytes));
  return fmt::format("[{}{}] {:5.1f}% {} / {}  down {}/s  up {}/s  {} peer{}  ETA {}",
                     std::string(filled, '#'), std::string(bar_width - filled, '-'), fraction * 100,
                     human_bytes(static_cast<double>(s.bytes_had)),
                     human_bytes(static_cast<double>(s.total_bytes)), human_bytes(down),
                     human_bytes(upload_rate()), s.peers, s.peers == 1 ? "" : "s",
                     left == 0 ? std::string("0:00") : human_eta(down > 0 ? left / down : -1));
}

void transfer_progress::update(const transfer_sample& s, clock::time_point now) {
  record(s, now);
  if (!on() || finished_) return;
  if (drawn_ && now - last_draw_ < min_redraw_interval) return;
  fmt::print(out_, "\r{}\x1b[K", line(s));
  std::fflush(out_);
  drawn_ = true;
  last_draw_ = now;
}

void transfer_progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (!drawn_) return;
  std::fputs("\r\x1b[K", out_);
  std::fflush(out_);
}

}  // namespace swarmsim::sim::real
