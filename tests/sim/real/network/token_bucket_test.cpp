#include "sim/real/network/token_bucket.hpp"

#include <gtest/gtest.h>

namespace swarmsim::sim::real {
namespace {

using clock = token_bucket::clock;
using std::chrono::milliseconds;

TEST(token_bucket, unlimited_is_always_ready) {
  token_bucket b;
  const auto t = clock::now();
  b.consume(1 << 30, t);
  EXPECT_EQ(b.ready_at(t), t);
  EXPECT_FALSE(b.limited());
}

TEST(token_bucket, a_debt_is_paid_off_at_the_rate) {
  token_bucket b(1000.0, 500.0);  // 1000 B/s, burst 500
  const auto t0 = clock::now();
  EXPECT_EQ(b.ready_at(t0), t0);  // starts full
  b.consume(2500, t0);            // 2000 bytes of debt
  const auto ready = b.ready_at(t0);
  EXPECT_NEAR(std::chrono::duration<double>(ready - t0).count(), 2.0, 0.01);
  EXPECT_GT(b.ready_at(t0 + milliseconds(1990)), t0 + milliseconds(1990));
  EXPECT_EQ(b.ready_at(t0 + milliseconds(2010)), t0 + milliseconds(2010));
}

TEST(token_bucket, tokens_never_exceed_the_burst) {
  token_bucket b(1000.0, 500.0);
  const auto t0 = clock::now();
  b.consume(0, t0);
  EXPECT_DOUBLE_EQ(b.tokens(t0 + std::chrono::hours(1)), 500.0);
}

TEST(token_bucket, long_run_rate_matches_whatever_the_transfer_sizes) {
  token_bucket b(16384.0);
  auto t = clock::now();
  std::uint64_t sent = 0;
  const auto start = t;
  for (int i = 0; i < 200; ++i) {
    t = b.ready_at(t);
    const std::uint64_t n = i % 3 == 0 ? 16397 : 1000;
    b.consume(n, t);
    sent += n;
  }
  const double seconds = std::chrono::duration<double>(t - start).count();
  // The last transfer starts when the debt of all but it (less the first burst) is paid.
  EXPECT_NEAR(static_cast<double>(sent) / seconds, 16384.0, 16384.0 * 0.15);
}

}  // namespace
}  // namespace swarmsim::sim::real
