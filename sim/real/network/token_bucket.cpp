#include "sim/real/network/token_bucket.hpp"

#include <cmath>

namespace swarmsim::sim::real {

namespace {
constexpr double min_burst = 16 * 1024;
}

token_bucket::token_bucket(double rate, double burst) : rate_(std::max(0.0, rate)) {
  burst_ = burst > 0 ? burst : std::max(min_burst, rate_ / 10);
  tokens_ = burst_;
}

void token_bucket::refill(clock::time_point now) {
  if (!started_) {
    started_ = true;
    last_ = now;
    return;
  }
  if (now <= last_) return;
  const double dt = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + dt * rate_);
  last_ = now;
}

double token_bucket::tokens(clock::time_point now) {
  if (!limited()) return 0;
  refill(now);
  return tokens_;
}

token_bucket::clock::time_point token_bucket::ready_at(clock::time_point now) {
  if (!limited()) return now;
  refill(now);
  if (tokens_ > 0) return now;
  const double wait = (-tokens_ + 1) / rate_;
  return now + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(wait));
}

void token_bucket::consume(std::uint64_t bytes, clock::time_point now) {
  if (!limited()) return;
  refill(now);
  tokens_ -= static_cast<double>(bytes);
}

}  // namespace swarmsim::sim::real
