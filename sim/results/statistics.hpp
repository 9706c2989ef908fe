#pragma once
// Statistics of one metric across the seeds of a sweep combination: centre,
// spread and a confidence interval for the mean.
//
// 1. The interval is Student's t: mean +- t(1 - (1 - level) / 2, n - 1) s / sqrt(n)
//    with s the sample standard deviation (n - 1 in the denominator). It assumes
//    the seeds' values are independent draws; with few seeds it is wide, as it
//    should be. It needs n >= 2; with n = 1 it is empty.
// 2. median is the type 7 quantile of sim/results/metrics.hpp (numpy's default).
// 3. Pure and deterministic: the same values in the same order give the same
//    doubles, bit for bit.

#include <cstddef>
#include <optional>
#include <span>

namespace swarmsim::sim {

struct metric_statistics {  // of a non-empty set of finite values
  std::size_t n = 0;
  double mean = 0;
  double median = 0;
  double min = 0;
  double max = 0;
  std::optional<double> std_dev;  // sample standard deviation; empty for n = 1
  std::optional<double> ci_low;   // confidence interval of the mean; empty for n = 1
  std::optional<double> ci_high;
};

// The two-sided Student t critical value: the (1 + level) / 2 quantile of the t
// distribution with `degrees_of_freedom` (e.g. 2.776 for level 0.95 and 4).
// Throws std::invalid_argument unless 0 < level < 1 and degrees_of_freedom > 0.
double student_t_critical(double level, double degrees_of_freedom);

// Statistics of `values` (any order) with a `level` confidence interval; empty if
// there are no values. Throws std::invalid_argument for a NaN or an infinity, or a
// level outside (0, 1).
std::optional<metric_statistics> compute_statistics(std::span<const double> values,
                                                    double level = 0.95);

}  // namespace swarmsim::sim
