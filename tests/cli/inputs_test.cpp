// The command line given absurd inputs: output folders that cannot take a run,
// reruns over earlier results, swarms larger than memory, endless scenario
// files, rates below the floor, and torrent names made of terminal escapes. Each
// is refused up front with a message and a non-zero exit, never a crash.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <filesystem>
#include <string>

#include "cli_harness.hpp"

namespace swarmsim::test {
namespace {

using testing::HasSubstr;
using testing::Not;
using testing::StartsWith;

constexpr const char* tiny = R"(name: tiny
torrent: {size: 1MiB, piece_size: 64KiB, block_size: 16KiB}
groups:
  - {name: seed, role: seed, upload: 10Mbit/s}
  - {name: leechers, count: 6, upload: 2Mbit/s}
simulation: {seed: 1, time_limit: 1h}
)";

// A swarm that takes minutes to simulate: a refusal that comes in seconds came
// before the simulation.
constexpr const char* slow = R"(name: slow
torrent: {size: 1GiB, piece_size: 64KiB}
groups:
  - {name: seed, role: seed, upload: 1Mbit/s}
  - {name: leechers, count: 3000, upload: 1Mbit/s}
simulation: {time_limit: 30d}
)";

class cli_inputs : public scratch_cli {
 protected:
  // `swarmsim ARGS`, killed after `seconds` (status 124 then).
  outcome bounded(std::vector<std::string> args, int seconds = 20) const {
    args.insert(args.begin(), {"-s", "KILL", std::to_string(seconds), SWARMSIM_BINARY});
    return execute("timeout", args);
  }
  std::vector<std::string> names_in(const fs::path& dir) const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
      out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(cli_inputs, an_out_path_that_is_a_file_is_refused_before_simulating) {
  file("slow.yaml", slow);
  write(work() / "taken", "mine\n");
  const outcome o = bounded({"run", "slow.yaml", "--out", "taken"});
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_THAT(o.err, StartsWith("swarmsim: error: --out taken: exists and is not a directory"));
  EXPECT_EQ(read(work() / "taken"), "mine\n");
}

TEST_F(cli_inputs, an_empty_out_or_the_current_directory_is_refused) {
  file("tiny.yaml", tiny);
  for (const char* out : {"", ".", "./", ".."}) {
    const outcome o = bounded({"run", "tiny.yaml", "--out", out});
    EXPECT_EQ(o.status, 1) << out << ": " << o.err;
    EXPECT_THAT(o.err, StartsWith(fmt::format("swarmsim: error: --out {}: ", out)));
    EXPECT_EQ(names_in(work()), std::vector<std::string>{"tiny.yaml"}) << out;
  }
}

TEST_F(cli_inputs, the_root_directory_is_refused) {
  file("tiny.yaml", tiny);
  const outcome o = bounded({"run", "tiny.yaml", "--out", "/"});
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_THAT(o.err, HasSubstr("--out /: is the root directory"));
  EXPECT_FALSE(fs::exists("/summary.json"));
}

// A rerun without overlay metrics left the earlier run's overlay.csv beside
// results it did not belong to.
TEST_F(cli_inputs, a_rerun_replaces_the_results_folder_as_a_whole) {
  file("tiny.yaml", tiny);
  ASSERT_EQ(bounded({"run", "tiny.yaml", "-q", "--out", "r", "--set",
                     "simulation.overlay_interval=10s", "--set", "simulation.trace=[unchoke]"})
                .status,
            0);
  ASSERT_TRUE(fs::exists(work() / "r/overlay.csv"));
  const outcome o = bounded({"run", "tiny.yaml", "-q", "--out", "r"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(names_in(work() / "r"), (std::vector<std::string>{"peers.csv", "scenario.resolved.yaml",
                                                              "summary.json", "timeseries.csv"}));
  EXPECT_EQ(names_in(work()), (std::vector<std::string>{"r", "tiny.yaml"}));
}

TEST_F(cli_inputs, a_folder_holding_other_files_is_not_replaced) {
  file("tiny.yaml", tiny);
  write(work() / "notes.txt", "keep\n");
  const outcome o = bounded({"run", "tiny.yaml", "--out", "."});
  EXPECT_EQ(o.status, 1);
  fs::create_directories(work() / "mine");
  write(work() / "mine/notes.txt", "keep\n");
  const outcome mine = bounded({"run", "tiny.yaml", "--out", "mine"});
  EXPECT_EQ(mine.status, 1);
  EXPECT_THAT(mine.err, HasSubstr("mine/notes.txt, which is not a result file"));
  EXPECT_EQ(names_in(work() / "mine"), std::vector<std::string>{"notes.txt"});
}

// 10 million peers, the documented maximum, ended in std::bad_alloc (SIGABRT).
TEST_F(cli_inputs, a_swarm_larger_than_memory_is_refused_before_it_is_built) {
  file("tiny.yaml", tiny);
  const outcome o = bounded(
      {"run", "tiny.yaml", "--set", "groups.leechers.count=9999999", "--set", "torrent.size=1TiB"});
  EXPECT_EQ(o.status, 2) << o.err;
  EXPECT_THAT(o.err, StartsWith("swarmsim: error: tiny.yaml: groups: 10000000 peers of 16777216 "
                                "pieces need about "));
  const outcome dense = bounded({"run", "tiny.yaml", "--set", "simulation.time_limit=1000d",
                                 "--set", "simulation.sample_interval=1us"});
  EXPECT_EQ(dense.status, 2) << dense.err;
  EXPECT_THAT(dense.err, HasSubstr("simulation.sample_interval: "));
  EXPECT_EQ(names_in(work()), std::vector<std::string>{"tiny.yaml"});
}

// An allocation that fails anyway (here a swarm of about 2 GiB, which the
// machine has, under a 1 GB address-space limit) is an error with a message,
// not an abort.
TEST_F(cli_inputs, running_out_of_memory_is_an_error_not_a_crash) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer reserves more address space than the limit";
#endif
  file("tiny.yaml", tiny);
  const outcome o =
      execute("sh", {"-c", fmt::format("ulimit -v 1000000 && exec {} run tiny.yaml -q --set "
                                       "groups.leechers.count=3000 --set torrent.size=1GiB",
                                       SWARMSIM_BINARY)});
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_THAT(o.err, HasSubstr("out of memory"));
}

TEST_F(cli_inputs, an_endless_scenario_file_is_refused) {
  const outcome o = bounded({"run", "/dev/zero"});
  EXPECT_EQ(o.status, 2) << o.err;
  EXPECT_THAT(o.err, HasSubstr("/dev/zero: more than 1048576 bytes"));
}

// `--upload-rate 1e-9` turned the throttle off.
TEST_F(cli_inputs, rate_flags_below_the_floor_are_refused) {
  for (const char* command : {"seed", "download"}) {
    const outcome o =
        bounded({command, "missing.torrent", command == std::string("seed") ? "--data" : "--out",
                 "x", "--upload-rate", "1e-9"});
    EXPECT_EQ(o.status, 2) << command;
    EXPECT_THAT(o.err, HasSubstr("--upload-rate: rate 1e-09 B/s is below the minimum of 1 B/s"))
        << command;
  }
}

// A torrent named with terminal escapes (ESC ] retitles the window, ESC [ 2 J
// clears it) is printed with the escapes spelt out.
TEST_F(cli_inputs, torrent_names_are_printed_without_terminal_escapes) {
  const fs::path evil = work() / "\x1b]0;pwned\x07\x1b[2J\xff";
  fs::create_directories(evil);
  write(evil / "a\x1b[31m.bin", std::string(40000, 'x'));
  const outcome made = bounded({"torrent", "create", evil.string(), "--announce",
                                "http://127.0.0.1:1/announce", "-o", "evil.torrent"});
  ASSERT_EQ(made.status, 0) << made.err;
  EXPECT_THAT(made.out, Not(HasSubstr("\x1b")));
  EXPECT_THAT(made.out, HasSubstr("\\x1b]0;pwned\\x07\\x1b[2J\\xff"));
  const outcome shown = bounded({"torrent", "show", "evil.torrent"});
  ASSERT_EQ(shown.status, 0) << shown.err;
  EXPECT_THAT(shown.out, Not(HasSubstr("\x1b")));
  EXPECT_THAT(shown.out, Not(HasSubstr("\xff")));
  EXPECT_THAT(shown.out, HasSubstr("a\\x1b[31m.bin"));
}

// The mistakes a new user of the real mode makes first, each with what to do.
TEST_F(cli_inputs, a_data_file_where_a_torrent_is_expected_says_to_make_one) {
  file("movie.bin", std::string(4096, '\x85'));
  for (const char* command : {"seed", "download"}) {
    const outcome o =
        bounded({command, "movie.bin", command == std::string("seed") ? "--data" : "--out", "x"});
    EXPECT_EQ(o.status, 2) << command;
    EXPECT_THAT(o.err, HasSubstr("movie.bin: not a .torrent file"));
    EXPECT_THAT(o.err, HasSubstr("swarmsim torrent create movie.bin --announce"));
  }
}

TEST_F(cli_inputs, an_announce_url_our_clients_cannot_use_is_refused_at_creation) {
  file("movie.bin", std::string(4096, 'x'));
  const outcome udp = bounded({"torrent", "create", "movie.bin", "--announce",
                               "udp://tracker.example:1337/announce", "-o", "m.torrent"});
  EXPECT_EQ(udp.status, 2);
  EXPECT_THAT(udp.err, HasSubstr("only http:// trackers are supported, not udp://"));
  EXPECT_THAT(udp.err, HasSubstr("--any-tracker"));
  EXPECT_FALSE(fs::exists(work() / "m.torrent"));
  const outcome anyway =
      bounded({"torrent", "create", "movie.bin", "--announce",
               "udp://tracker.example:1337/announce", "-o", "m.torrent", "--any-tracker"});
  EXPECT_EQ(anyway.status, 0) << anyway.err;
}

TEST_F(cli_inputs, a_port_in_use_suggests_another) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor taken(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  const std::string listen = fmt::format("127.0.0.1:{}", taken.local_endpoint().port());
  const outcome o = bounded({"tracker", "--listen", listen});
  EXPECT_EQ(o.status, 1);
  EXPECT_THAT(o.err, HasSubstr("another program listens on that port: give another, or port 0"));
}

}  // namespace
}  // namespace swarmsim::test
