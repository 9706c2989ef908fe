#pragma once
// The sweep command-line tests' scenario and fixture (sweep_test.cpp,
// sweep_resume_test.cpp, tests/slurm/).

#include <string>
#include <vector>

#include "cli/cli_harness.hpp"

namespace swarmsim::test {

// One seed and four leechers sharing 1 MiB: a run takes milliseconds.
inline constexpr const char* tiny = R"(name: tiny
torrent: {size: 1MiB, piece_size: 64KiB, block_size: 16KiB}
defaults: {upload: 5Mbit/s, download: 20Mbit/s}
groups:
  - {name: seed, role: seed, upload: 10Mbit/s}
  - {name: leechers, count: 4, role: leecher}
simulation: {seed: 1, time_limit: 10min}
)";

inline const std::vector<std::string> policies{
    "--vary", "groups.leechers.picker.policy=rarest_first,sequential"};

class sweep_cli : public scratch_cli {
 protected:
  void SetUp() override {
    scratch_cli::SetUp();
    file("tiny.yaml", tiny);
  }

  // `swarmsim sweep tiny.yaml <policies> --seeds 3 <extra> --quiet`, expected to succeed.
  void sweep_ok(const std::vector<std::string>& extra) const {
    std::vector<std::string> args{"sweep", "tiny.yaml"};
    args.insert(args.end(), policies.begin(), policies.end());
    args.insert(args.end(), {"--seeds", "3", "--quiet"});
    args.insert(args.end(), extra.begin(), extra.end());
    const outcome o = swarmsim(args);
    ASSERT_EQ(o.status, 0) << o.err;
  }
};

}  // namespace swarmsim::test
