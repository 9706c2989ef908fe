// analysis/compare.py on a real sweep: it exits 0 and writes non-empty PNG and SVG
// figures (per-metric bars with confidence intervals, overlaid CDFs and curves)
// whose texts neither stick out of the figure nor overlap (the script warns on
// stderr when they do).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/analysis_fixture.hpp"

namespace swarmsim::test {
namespace {

using testing::HasSubstr;
using testing::Not;

using compare_script = analysis_cli;

TEST_F(compare_script, draws_per_metric_bars_and_overlaid_curves) {
  const outcome o =
      execute(python, {analysis_script("compare.py"), "sweep", "--out", "figures", "--metrics",
                       "completed_fraction,download_time_s.mean,upload_utilisation"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_THAT(o.err, Not(HasSubstr("warning")));
  EXPECT_THAT(o.out, HasSubstr("7 figures (PNG and SVG) in figures/"));
  expect_figures(
      work() / "figures",
      {"metric_completed_fraction", "metric_download_time_s_mean", "metric_upload_utilisation",
       "metrics_overview", "download_time_cdf", "completed_over_time", "availability_over_time"});
}

TEST_F(compare_script, fails_cleanly_on_a_folder_or_metric_that_is_not_there) {
  fs::create_directories(work() / "empty");
  const outcome folder = execute(python, {analysis_script("compare.py"), "empty"});
  EXPECT_EQ(folder.status, 2);
  EXPECT_THAT(folder.err, HasSubstr("compare.py: error: cannot read the sweep in empty"));
  EXPECT_FALSE(fs::exists(work() / "empty" / "figures"));
  const outcome metric =
      execute(python, {analysis_script("compare.py"), "sweep", "--metrics", "no_such_metric"});
  EXPECT_EQ(metric.status, 2);
  EXPECT_THAT(metric.err, HasSubstr("not in compare.csv: no_such_metric"));
  EXPECT_FALSE(fs::exists(work() / "sweep" / "figures"));
}

}  // namespace
}  // namespace swarmsim::test
