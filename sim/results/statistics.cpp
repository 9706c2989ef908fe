#include "sim/results/statistics.hpp"

#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "sim/results/metrics.hpp"

namespace swarmsim::sim {

double student_t_critical(double level, double degrees_of_freedom) {
  if (!(level > 0 && level < 1)) throw std::invalid_argument("confidence level outside (0, 1)");
  if (!(degrees_of_freedom > 0)) throw std::invalid_argument("degrees of freedom must be > 0");
  const boost::math::students_t_distribution<double> t(degrees_of_freedom);
  return boost::math::quantile(t, (1 + level) / 2);
}

std::optional<metric_statistics> compute_statistics(std::span<const double> values, double level) {
  if (!(level > 0 && level < 1)) throw std::invalid_argument("confidence level outside (0, 1)");
  if (values.empty()) return std::nullopt;
  for (const double v : values) {
    if (!std::isfinite(v)) throw std::invalid_argument("statistics of a non-finite value");
  }
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  metric_statistics s;
  s.n = sorted.size();
  s.min = sorted.front();
  s.max = sorted.back();
  s.median = quantile(sorted, 0.5);
  const auto n = static_cast<double>(s.n);
  double sum = 0;
  for (const double v : values)
    sum += v;
  s.mean = sum / n;
  if (s.n < 2) return s;
  double squares = 0;
  for (const double v : values)
    squares += (v - s.mean) * (v - s.mean);
  s.std_dev = std::sqrt(squares / (n - 1));
  const double half_width = student_t_critical(level, n - 1) * *s.std_dev / std::sqrt(n);
  s.ci_low = s.mean - half_width;
  s.ci_high = s.mean + half_width;
  return s;
}

}  // namespace swarmsim::sim
