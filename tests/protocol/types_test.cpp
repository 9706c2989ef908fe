#include "protocol/types.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace swarmsim::protocol {
namespace {

TEST(from_seconds, rounds_to_the_nearest_nanosecond) {
  EXPECT_EQ(from_seconds(1.5).count(), 1'500'000'000);
  EXPECT_EQ(from_seconds(2.4e-9).count(), 2);
  EXPECT_EQ(from_seconds(-2.6e-9).count(), -3);
  EXPECT_EQ(from_seconds(0.0).count(), 0);
}

// A transfer at an absurdly slow rate takes longer than the clock can count:
// the time saturates at "never" instead of wrapping to a negative time.
TEST(from_seconds, saturates_instead_of_overflowing) {
  const double block_at_a_nanobyte_per_second = 16384 / 1e-9;
  EXPECT_EQ(from_seconds(block_at_a_nanobyte_per_second), duration::max());
  EXPECT_EQ(from_seconds(std::numeric_limits<double>::infinity()), duration::max());
  EXPECT_EQ(from_seconds(-1e300), duration::min());
  EXPECT_EQ(from_seconds(std::nan("")), duration::max());
  EXPECT_GT(from_seconds(9.1e9).count(), 0);  // 288 years still fits
}

}  // namespace
}  // namespace swarmsim::protocol
