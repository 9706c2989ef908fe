#pragma once
// A token bucket that limits a byte rate: one local peer's upload or download
// in the real-socket mode, shared by all its connections.
//
// Keeps the tokens (bytes) it holds at the time of its last update. Invariants:
// 1. An unlimited bucket (rate 0) is always ready and never holds a debt.
// 2. tokens <= burst; tokens grow at `rate` bytes per second until they reach it.
// 3. consume() may take the bucket into debt (tokens < 0) by at most one
//    transfer per caller: callers wait for ready_at() before each transfer, so
//    the long-run rate is exactly `rate` whatever the transfer sizes.

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace swarmsim::sim::real {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  // Unlimited.
  token_bucket() = default;
  // `rate` bytes per second (0: unlimited); `burst` bytes may go at once after
  // an idle spell (0: one tenth of a second's worth, at least 16 KiB).
  token_bucket(double rate, double burst = 0);

  bool limited() const { return rate_ > 0; }
  double rate() const { return rate_; }
  double burst() const { return burst_; }

  // When a transfer may start: now if the bucket holds any tokens.
  clock::time_point ready_at(clock::time_point now);
  // Takes `bytes` tokens (a transfer that started).
  void consume(std::uint64_t bytes, clock::time_point now);
  // Tokens at `now` (negative: a debt).
  double tokens(clock::time_point now);

 private:
  void refill(clock::time_point now);

  double rate_ = 0;
  double burst_ = 0;
  double tokens_ = 0;
  clock::time_point last_{};
  bool started_ = false;
};

}  // namespace swarmsim::sim::real
