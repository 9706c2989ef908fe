#pragma once
// The setting of the analysis script tests: the real output of a small sweep,
// made once per test executable, and /usr/bin/python3 with matplotlib and pandas
// (tests are skipped, with a message, where they are missing).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/cli_harness.hpp"

namespace swarmsim::test {

inline constexpr const char* python = "/usr/bin/python3";

// Two leecher groups, so that plot.py draws one CDF per group; the seed leaves
// early, so that sequential runs keep leechers waiting.
inline constexpr const char* small_scenario = R"(name: small
torrent: {size: 2MiB, piece_size: 64KiB, block_size: 16KiB}
defaults: {upload: 2Mbit/s, download: 10Mbit/s}
groups:
  - {name: seed, role: seed, upload: 4Mbit/s, leave_at: 10s}
  - {name: leechers, count: 5, role: leecher}
  - {name: streaming, count: 3, role: leecher, picker: {policy: sequential}}
simulation: {seed: 1, time_limit: 2min}
)";

inline bool is_png(const std::string& bytes) {
  return bytes.size() > 1000 && bytes.rfind("\x89PNG\r\n\x1a\n", 0) == 0;
}

inline bool is_svg(const std::string& text) {
  return text.size() > 1000 && text.find("<svg") != std::string::npos &&
         text.find("</svg>") != std::string::npos;
}

inline std::string analysis_script(const char* name) {
  return std::string(SWARMSIM_SOURCE_DIR) + "/analysis/" + name;
}

// work()/sweep holds `swarmsim sweep` output: two policies x two seeds. The sweep
// is made once and copied into each test's scratch directory.
class analysis_cli : public scratch_cli {
 protected:
  static void SetUpTestSuite() {
    const fs::path root = shared_root();
    fs::remove_all(root);
    fs::create_directories(root);
    const std::string check =
        fmt::format("{} -c 'import matplotlib, pandas, numpy' 2>/dev/null", python);
    python_ok_ = std::system(check.c_str()) == 0;
    write(root / "small.yaml", small_scenario);
    const std::string sweep = fmt::format(
        "cd {} && {} sweep small.yaml --vary groups.leechers.picker.policy=rarest_first,sequential "
        "--seeds 2 --quiet --out sweep >/dev/null 2>&1",
        quoted(root.string()), quoted(SWARMSIM_BINARY));
    sweep_ok_ = std::system(sweep.c_str()) == 0;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(shared_root(), ec);
  }

  void SetUp() override {
    scratch_cli::SetUp();
    if (!python_ok_) {
      GTEST_SKIP() << python << " lacks matplotlib or pandas (scripts/setup.sh installs "
                   << "python3-matplotlib and python3-pandas)";
    }
    ASSERT_TRUE(sweep_ok_) << "swarmsim sweep failed";
    fs::copy(shared_root() / "sweep", work() / "sweep", fs::copy_options::recursive);
  }

  void expect_figures(const fs::path& dir, const std::vector<std::string>& names) const {
    for (const auto& name : names) {
      EXPECT_TRUE(is_png(read(dir / (name + ".png")))) << name << ".png";
      EXPECT_TRUE(is_svg(read(dir / (name + ".svg")))) << name << ".svg";
    }
  }

 private:
  static fs::path shared_root() {
    return fs::temp_directory_path() /
           fmt::format("swarmsim-analysis-{}-{}", ::getpid(),
                       testing::UnitTest::GetInstance()->current_test_suite()->name());
  }

  static inline bool python_ok_ = false;
  static inline bool sweep_ok_ = false;
};

}  // namespace swarmsim::test
