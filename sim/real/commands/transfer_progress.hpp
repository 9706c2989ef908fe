#pragma once
// The one-line progress display of `swarmsim download` (and the status line of
// `swarmsim seed`): bytes had of total, download and upload rates, peers, ETA.
//
// transfer_progress keeps the last few samples of the byte counters to compute
// rates. Invariants:
// 1. It writes only to its own stream, only when on, and at most once per
//    min_redraw_interval; finish() clears the line (once; also the destructor).
// 2. Rates are averaged over the samples of the last rate_window, so one burst
//    does not swing the ETA.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <string>

#include "sim/results/progress.hpp"

namespace swarmsim::sim::real {

struct transfer_sample {
  std::uint64_t bytes_had = 0;
  std::uint64_t total_bytes = 0;
  std::uint64_t downloaded = 0;  // payload received (a rate counter)
  std::uint64_t uploaded = 0;
  std::uint32_t peers = 0;
};

// "12.3 MiB", "950 B".
std::string human_bytes(double bytes);
// "1:02:03", "4:05", "--:--" for an unknown time.
std::string human_eta(double seconds);

class transfer_progress {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds min_redraw_interval{250};
  static constexpr std::chrono::seconds rate_window{5};

  transfer_progress(std::FILE* out, progress_display display);
  ~transfer_progress();
  transfer_progress(const transfer_progress&) = delete;
  transfer_progress& operator=(const transfer_progress&) = delete;

  bool on() const { return display_ == progress_display::on; }
  void update(const transfer_sample& s, clock::time_point now = clock::now());
  // The line update() would draw for these samples (for tests and logs).
  std::string line(const transfer_sample& s) const;
  double download_rate() const;  // bytes per second over the window
  double upload_rate() const;
  void finish();

 private:
  struct point {
    clock::time_point at;
    std::uint64_t downloaded;
    std::uint64_t uploaded;
  };
  void record(const transfer_sample& s, clock::time_point now);

  std::FILE* out_;
  progress_display display_;
  std::deque<point> points_;
  clock::time_point last_draw_{};
  bool drawn_ = false;
  bool finished_ = false;
};

}  // namespace swarmsim::sim::real
