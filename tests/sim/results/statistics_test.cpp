#include "sim/results/statistics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

namespace swarmsim::sim {
namespace {

// Two-sided 95% critical values of Student's t from a printed table
// (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
TEST(student_t_critical, matches_the_printed_table) {
  EXPECT_NEAR(student_t_critical(0.95, 1), 12.706, 1e-3);
  EXPECT_NEAR(student_t_critical(0.95, 2), 4.303, 1e-3);
  EXPECT_NEAR(student_t_critical(0.95, 4), 2.776, 1e-3);
  EXPECT_NEAR(student_t_critical(0.95, 9), 2.262, 1e-3);
  EXPECT_NEAR(student_t_critical(0.95, 30), 2.042, 1e-3);
  EXPECT_NEAR(student_t_critical(0.99, 4), 4.604, 1e-3);
  EXPECT_NEAR(student_t_critical(0.90, 4), 2.132, 1e-3);
}

TEST(student_t_critical, approaches_the_normal_quantile_for_many_degrees_of_freedom) {
  EXPECT_NEAR(student_t_critical(0.95, 1e6), 1.95996, 1e-4);
  EXPECT_GT(student_t_critical(0.95, 5), student_t_critical(0.95, 50));
}

TEST(student_t_critical, rejects_a_bad_level_or_degrees_of_freedom) {
  EXPECT_THROW(student_t_critical(0, 4), std::invalid_argument);
  EXPECT_THROW(student_t_critical(1, 4), std::invalid_argument);
  EXPECT_THROW(student_t_critical(0.95, 0), std::invalid_argument);
  EXPECT_THROW(student_t_critical(std::nan(""), 4), std::invalid_argument);
}

TEST(compute_statistics, mean_spread_median_and_interval_of_five_values) {
  const std::vector<double> x{5, 1, 4, 2, 3};
  const auto s = compute_statistics(x);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->n, 5u);
  EXPECT_DOUBLE_EQ(s->mean, 3);
  EXPECT_DOUBLE_EQ(s->median, 3);
  EXPECT_DOUBLE_EQ(s->min, 1);
  EXPECT_DOUBLE_EQ(s->max, 5);
  // Sample variance: (4 + 1 + 0 + 1 + 4) / (5 - 1) = 2.5.
  ASSERT_TRUE(s->std_dev);
  EXPECT_NEAR(*s->std_dev, std::sqrt(2.5), 1e-12);
  // 3 +- 2.776 x sqrt(2.5) / sqrt(5) = 3 +- 1.963.
  ASSERT_TRUE(s->ci_low && s->ci_high);
  EXPECT_NEAR(*s->ci_low, 3 - 1.963, 1e-3);
  EXPECT_NEAR(*s->ci_high, 3 + 1.963, 1e-3);
}

TEST(compute_statistics, median_of_an_even_count_interpolates) {
  const std::vector<double> x{10, 40, 20, 30};
  EXPECT_DOUBLE_EQ(compute_statistics(x)->median, 25);
}

TEST(compute_statistics, a_wider_level_gives_a_wider_interval) {
  const std::vector<double> x{1, 2, 4, 8};
  const auto s90 = compute_statistics(x, 0.90);
  const auto s99 = compute_statistics(x, 0.99);
  EXPECT_LT(*s99->ci_low, *s90->ci_low);
  EXPECT_GT(*s99->ci_high, *s90->ci_high);
  EXPECT_DOUBLE_EQ(s90->mean, s99->mean);
}

TEST(compute_statistics, equal_values_give_a_zero_width_interval) {
  const std::vector<double> x{0.5, 0.5, 0.5};
  const auto s = compute_statistics(x);
  EXPECT_DOUBLE_EQ(*s->std_dev, 0);
  EXPECT_DOUBLE_EQ(*s->ci_low, 0.5);
  EXPECT_DOUBLE_EQ(*s->ci_high, 0.5);
}

TEST(compute_statistics, one_value_has_no_spread_and_no_interval) {
  const std::vector<double> x{7};
  const auto s = compute_statistics(x);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->n, 1u);
  EXPECT_DOUBLE_EQ(s->mean, 7);
  EXPECT_DOUBLE_EQ(s->median, 7);
  EXPECT_EQ(s->std_dev, std::nullopt);
  EXPECT_EQ(s->ci_low, std::nullopt);
  EXPECT_EQ(s->ci_high, std::nullopt);
}

TEST(compute_statistics, of_nothing_is_empty) {
  EXPECT_EQ(compute_statistics({}), std::nullopt);
}

TEST(compute_statistics, rejects_non_finite_values_and_a_bad_level) {
  const std::vector<double> nan{1, std::nan("")};
  const std::vector<double> inf{1, INFINITY};
  const std::vector<double> ok{1, 2};
  EXPECT_THROW(compute_statistics(nan), std::invalid_argument);
  EXPECT_THROW(compute_statistics(inf), std::invalid_argument);
  EXPECT_THROW(compute_statistics(ok, 1.5), std::invalid_argument);
}

TEST(compute_statistics, the_same_values_in_the_same_order_give_the_same_bits) {
  const std::vector<double> x{0.1, 0.7, 0.3, 1e9, 2.5};
  const auto a = compute_statistics(x);
  const auto b = compute_statistics(std::vector<double>(x));
  EXPECT_EQ(a->mean, b->mean);
  EXPECT_EQ(*a->ci_low, *b->ci_low);
  EXPECT_EQ(*a->ci_high, *b->ci_high);
}

// The point of the interval: for normal samples of 5, it holds the true mean in
// about 95% of repetitions. A z interval (1.96 instead of 2.776) would cover only
// about 88%, so this distinguishes t from z.
TEST(compute_statistics, the_95_percent_interval_covers_the_true_mean_95_percent_of_the_time) {
  std::mt19937_64 rng(20240501);
  std::normal_distribution<double> normal(100.0, 15.0);
  constexpr int trials = 4000;
  int covered = 0;
  std::vector<double> x(5);
  for (int t = 0; t < trials; ++t) {
    for (auto& v : x)
      v = normal(rng);
    const auto s = compute_statistics(x);
    if (*s->ci_low <= 100.0 && 100.0 <= *s->ci_high) ++covered;
  }
  const double coverage = static_cast<double>(covered) / trials;
  EXPECT_NEAR(coverage, 0.95, 0.015);
}

}  // namespace
}  // namespace swarmsim::sim
