// analysis/doc_tables.py: the measured tables of the README and docs/ are what
// the sweeps behind them give now (a stale number fails here), and a table
// that no longer matches is reported with the difference.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "cli/analysis_fixture.hpp"

namespace swarmsim::test {
namespace {

using testing::HasSubstr;

class doc_tables : public scratch_cli {
 protected:
  void SetUp() override {
    scratch_cli::SetUp();
    if (std::system(fmt::format("{} -c 'import pandas' 2>/dev/null", python).c_str()) != 0)
      GTEST_SKIP() << python << " lacks pandas (scripts/setup.sh installs python3-pandas)";
  }
  outcome check(const std::vector<std::string>& more = {}) const {
    std::vector<std::string> args{analysis_script("doc_tables.py"), "--check", "--swarmsim",
                                  SWARMSIM_BINARY};
    args.insert(args.end(), more.begin(), more.end());
    return execute(python, args);
  }
};

// The sweeps behind the tables give the same bytes in every build; under the
// sanitizers their runs take many minutes (a swarm stuck until its 30-minute
// limit), so the release suite alone runs them.
#ifndef SWARMSIM_SANITIZED
TEST_F(doc_tables, every_measured_table_in_the_docs_is_what_the_sweeps_give) {
  // All but the validation table, whose two minutes of runs analysis/validate.py
  // makes on its own.
  const outcome o = check({"--only", "slow-seed,streaming-good-seed,streaming-slow-seed"});
  EXPECT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_THAT(o.out, HasSubstr("table(s) match what the sweeps give"));
}

TEST_F(doc_tables, a_stale_table_fails_with_the_difference) {
  fs::create_directories(work() / "docs" / "docs");
  std::ifstream in(std::string(SWARMSIM_SOURCE_DIR) + "/docs/COMPARE.md");
  std::stringstream text;
  text << in.rdbuf();
  // Keep only the slow-seed table (fast), with one number changed.
  std::string doc = std::regex_replace(text.str(), std::regex("<!-- doc-table streaming"),
                                       "<!-- not-a-table streaming");
  const std::string from = "| leechers completed | 1.000 [1.000, 1.000] |";
  ASSERT_NE(doc.find(from), std::string::npos);
  doc.replace(doc.find(from), from.size(), "| leechers completed | 0.999 [1.000, 1.000] |");
  std::ofstream(work() / "docs" / "docs" / "COMPARE.md") << doc;
  const outcome o = check({"--docs", "docs"});
  EXPECT_EQ(o.status, 1);
  EXPECT_THAT(o.out, HasSubstr("-| leechers completed | 0.999 [1.000, 1.000] |"));
  EXPECT_THAT(o.out, HasSubstr("+| leechers completed | 1.000 [1.000, 1.000] |"));
  EXPECT_THAT(o.err, HasSubstr("1 file(s) hold stale tables"));
}
#endif

TEST_F(doc_tables, an_unknown_table_name_is_an_error) {
  fs::create_directories(work() / "docs");
  std::ofstream(work() / "docs" / "README.md") << "<!-- doc-table nope -->\n<!-- /doc-table -->\n";
  const outcome o = check({"--docs", "docs"});
  EXPECT_NE(o.status, 0);
  EXPECT_THAT(o.err, HasSubstr("README.md: unknown table 'nope'"));
}

}  // namespace
}  // namespace swarmsim::test
