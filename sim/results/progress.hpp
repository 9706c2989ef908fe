#pragma once
// A one-line progress display for people watching a run: simulated time, a bar
// of completed/total leechers, events per wall second.
//
// 1. It writes only to its own stream (stderr in practice) and only when on;
//    result files never depend on it.
// 2. update() is cheap enough to call for every event: it counts calls and reads
//    the wall clock only every `check_stride` calls. The stride adapts (1 to
//    max_check_stride) so the clock is read about every target_check_interval,
//    whether the driver calls once per event or once per thousands of events.
//    It redraws at most once per min_redraw_interval; the first update draws.
// 3. finish() clears the line; it runs at most once and also from the destructor.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>

#include "protocol/types.hpp"

namespace swarmsim::sim {

enum class progress_display : std::uint8_t { off, on };

enum class verbosity : std::uint8_t { normal, quiet };

// on when stderr is a terminal and the run is not quiet.
progress_display progress_display_for_stderr(verbosity v);

class progress_bar {
 public:
  using wall_clock = std::function<std::chrono::steady_clock::time_point()>;

  static constexpr std::uint32_t max_check_stride = 1024;
  static constexpr std::chrono::milliseconds target_check_interval{10};
  static constexpr std::chrono::milliseconds min_redraw_interval{100};

  // `clock` defaults to std::chrono::steady_clock::now.
  progress_bar(std::FILE* out, progress_display display, wall_clock clock = {});
  ~progress_bar();
  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;

  bool on() const { return display_ == progress_display::on; }

  // `completed` of `total` leechers have finished; `events` processed so far.
  void update(protocol::duration simulated_now, std::uint32_t completed, std::uint32_t total,
              std::uint64_t events) {
    if (display_ == progress_display::off || finished_) return;
    if (++calls_since_check_ < check_stride_) return;
    calls_since_check_ = 0;
    check_clock(simulated_now, completed, total, events);
  }

  // Clears the line if anything was drawn. Later updates draw nothing.
  void finish();

 private:
  void check_clock(protocol::duration simulated_now, std::uint32_t completed, std::uint32_t total,
                   std::uint64_t events);

  std::FILE* out_;
  progress_display display_;
  wall_clock clock_;
  std::uint32_t calls_since_check_ = 0;
  std::uint32_t check_stride_ = 1;
  bool drawn_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_{};
  std::chrono::steady_clock::time_point last_draw_{};
  std::chrono::steady_clock::time_point last_check_{};
  std::uint64_t events_at_start_ = 0;
};

}  // namespace swarmsim::sim
