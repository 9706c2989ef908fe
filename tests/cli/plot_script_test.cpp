// analysis/plot.py on one run of a real sweep: it exits 0 and writes non-empty PNG
// and SVG figures whose texts neither stick out of the figure nor overlap (the
// script warns on stderr when they do).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/analysis_fixture.hpp"

namespace swarmsim::test {
namespace {

using testing::HasSubstr;
using testing::Not;

using plot_script = analysis_cli;

TEST_F(plot_script, draws_the_figures_of_one_run) {
  const outcome o = execute(python, {analysis_script("plot.py"),
                                     "sweep/runs/policy=sequential/seed-1", "--out", "figures"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_THAT(o.err, Not(HasSubstr("warning")));
  EXPECT_THAT(o.out, HasSubstr("5 figures (PNG and SVG) in figures/"));
  expect_figures(work() / "figures",
                 {"download_time_cdf", "completed_over_time", "availability_over_time",
                  "diversity_over_time", "upload_utilisation_over_time"});
}

TEST_F(plot_script, fails_cleanly_on_a_folder_that_is_not_a_run) {
  const outcome o = execute(python, {analysis_script("plot.py"), "sweep"});
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.err, HasSubstr("plot.py: error: cannot read sweep: no peers.csv"));
  EXPECT_FALSE(fs::exists(work() / "sweep" / "figures"));
}

}  // namespace
}  // namespace swarmsim::test
