// Viewers from the command line: a scenario with `playback` gives its viewers'
// outcome in the simulator and over real sockets, and `download --stream`
// checks its flags.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "cli_harness.hpp"

namespace swarmsim::test {
namespace {

using testing::HasSubstr;

class cli_stream : public scratch_cli {
 protected:
  std::string read(const std::string& path) const {
    std::ifstream in(work() / path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
};

// 2 MiB played at 1 Mbit/s: 16.8 s of content, 32 pieces of 64 KiB.
constexpr const char* viewers = R"(name: viewers
torrent: {size: 2MiB, piece_size: 64KiB}
groups:
  - {name: seed, role: seed, upload: 20Mbit/s}
  - {name: v, count: 3, upload: 4Mbit/s, picker: {policy: bitos},
     playback: {bitrate: 1Mbit/s, start: {buffered: 2s}}}
simulation: {seed: 1, time_limit: 10s}
)";

TEST_F(cli_stream, viewers_have_an_outcome_in_the_simulator_and_over_real_sockets) {
  file("viewers.yaml", viewers);
  for (const char* mode : {"sim", "real"}) {
    std::vector<std::string> args{"run", "viewers.yaml", "--out", mode, "-q"};
    if (std::string(mode) == "real") args.push_back("--real");
    const outcome o = swarmsim(args);
    ASSERT_EQ(o.status, 0) << mode << ": " << o.err;
    const std::string peers = read(std::string(mode) + "/peers.csv");
    EXPECT_THAT(peers, HasSubstr(",startup_delay_s,stalls,stall_time_s,continuity,")) << mode;
    EXPECT_THAT(read(std::string(mode) + "/summary.json"),
                HasSubstr("\"playback\": {\n    \"viewers\": 3,\n    \"started\": 3,"))
        << mode;
    EXPECT_THAT(read(std::string(mode) + "/timeseries.csv"), HasSubstr(",viewers,viewers_waiting,"))
        << mode;
  }
}

TEST_F(cli_stream, compare_sets_the_viewers_of_both_runs_side_by_side) {
  file("viewers.yaml", viewers);
  const outcome o = swarmsim({"run", "viewers.yaml", "--compare", "-o", "cmp"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("playback, all: 3 viewers simulated, 3 real"));
  EXPECT_THAT(o.out, HasSubstr("  continuity "));
  const std::string csv = read("cmp/compare.csv");
  EXPECT_THAT(csv, HasSubstr("all,viewers,3,3,0.0000\n"));
  EXPECT_THAT(csv, HasSubstr("all,startup_median_s,"));
  EXPECT_THAT(csv, HasSubstr("all,continuity_mean,"));
}

TEST_F(cli_stream, download_stream_needs_a_bitrate) {
  const outcome o = swarmsim({"download", "x.torrent", "--out", "got", "--stream"});
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.err, HasSubstr("--stream needs --bitrate"));
  const outcome start = swarmsim({"download", "x.torrent", "--out", "got", "--start-buffer", "5s"});
  EXPECT_EQ(start.status, 2);
  EXPECT_THAT(start.err, HasSubstr("--start-buffer needs --bitrate"));
  const outcome rate = swarmsim({"download", "x.torrent", "--out", "got", "--bitrate", "fast"});
  EXPECT_EQ(rate.status, 2);
  EXPECT_THAT(rate.err, HasSubstr("--bitrate"));
}

}  // namespace
}  // namespace swarmsim::test
