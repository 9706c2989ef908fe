// Strategies from the command line: `swarmsim strategies` lists what a scenario
// may name, a scenario runs with the example choker, and `seed`/`download`
// take --choker NAME,KEY=VALUE.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <algorithm>

#include <fstream>
#include <sstream>
#include <string>

#include "cli_harness.hpp"

namespace swarmsim::test {
namespace {

using testing::HasSubstr;
using testing::Not;
using testing::StartsWith;

class cli_strategies : public scratch_cli {};

TEST_F(cli_strategies, lists_every_strategy_with_its_parameters) {
  const outcome all = swarmsim({"strategies"});
  ASSERT_EQ(all.status, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("choker mainline\n"));
  EXPECT_THAT(all.out, HasSubstr("choker strict_tft\n"));
  EXPECT_THAT(all.out, HasSubstr("  min_rate: rate (1 to 1000000000000 B/s), default 1024: "));
  const outcome one = swarmsim({"strategies", "strict_tft"});
  EXPECT_EQ(one.status, 0);
  EXPECT_THAT(one.out, StartsWith("choker strict_tft\n"));
  EXPECT_THAT(one.out, Not(HasSubstr("mainline\n")));
  EXPECT_THAT(all.out, HasSubstr("picker rarest_first\n"));
  EXPECT_THAT(all.out, HasSubstr("neighbours large_view\n"));
  const outcome kind = swarmsim({"strategies", "picker"});
  EXPECT_EQ(kind.status, 0);
  EXPECT_THAT(kind.out, HasSubstr("picker sequential\n"));
  EXPECT_THAT(kind.out, Not(HasSubstr("choker ")));
  const outcome none = swarmsim({"strategies", "nope"});
  EXPECT_EQ(none.status, 2);
  EXPECT_THAT(none.err, HasSubstr("no strategy or kind named 'nope'"));
}

// The example scenario runs, and the strict group's choker is the one that
// decided: its resolved scenario names it, and its results differ from a run
// where every group keeps mainline.
TEST_F(cli_strategies, the_example_scenario_runs_with_its_strategy) {
  const std::string scenario = std::string(SWARMSIM_SOURCE_DIR) + "/scenarios/strict-tft.yaml";
  const outcome o = swarmsim({"run", scenario, "--out", "mixed", "-q"});
  ASSERT_EQ(o.status, 0) << o.err;
  std::ifstream resolved(work() / "mixed/scenario.resolved.yaml");
  std::stringstream text;
  text << resolved.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("policy: strict_tft"));
  const outcome plain = swarmsim({"run", scenario, "--out", "plain", "-q", "--set",
                                  "groups.strict.choker={policy: mainline}"});
  ASSERT_EQ(plain.status, 0) << plain.err;
  std::ifstream a(work() / "mixed/peers.csv"), b(work() / "plain/peers.csv");
  std::stringstream ta, tb;
  ta << a.rdbuf();
  tb << b.rdbuf();
  EXPECT_NE(ta.str(), tb.str()) << "the strategy changed nothing";
}

// Over real sockets the strategy decides too: a strict_tft seed that unchokes
// nobody until someone uploads to it (bootstrap 0; nobody uploads to a seed)
// serves nothing, and with bootstrap 3 everyone completes.
TEST_F(cli_strategies, a_strategy_decides_in_the_real_mode_too) {
  const auto real_run = [&](int bootstrap, const std::string& out) {
    file("real.yaml", fmt::format(R"(name: real
torrent: {{size: 2MiB, piece_size: 64KiB}}
groups:
  - {{name: seed, role: seed, upload: 20Mbit/s, choker: {{policy: strict_tft, bootstrap: {}}}}}
  - {{name: leechers, count: 4, upload: 10Mbit/s, choker: {{policy: strict_tft}}}}
simulation: {{seed: 1, time_limit: 3s}}
)",
                                  bootstrap));
    const outcome o = swarmsim({"run", "real.yaml", "--real", "--out", out, "-q"});
    EXPECT_EQ(o.status, 0) << o.err;
    std::ifstream in(work() / out / "summary.json");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  EXPECT_THAT(real_run(0, "silent"), HasSubstr("\"completed\": 0,"));
  EXPECT_THAT(real_run(3, "serving"), HasSubstr("\"completed\": 4,"));
}

// The incentive strategies order their uplink block by block; over sockets with
// an upload limit the host asks them which connection sends next. A swarm
// where leechers trade only through them completes, with bytes flowing both
// ways between leechers.
TEST_F(cli_strategies, the_incentive_strategies_trade_over_real_sockets) {
  file("incentive.yaml", R"(name: incentive
torrent: {size: 3MiB, piece_size: 64KiB}
groups:
  - {name: seed, role: seed, upload: 8Mbit/s}
  - {name: bittyrant, count: 2, upload: 4Mbit/s, choker: {policy: bittyrant}}
  - {name: propshare, count: 2, upload: 4Mbit/s, choker: {policy: propshare}}
  - {name: fairtorrent, count: 2, upload: 4Mbit/s, choker: {policy: fairtorrent}}
simulation: {seed: 1, time_limit: 8s}
)");
  const outcome o = swarmsim({"run", "incentive.yaml", "--real", "--out", "out", "-q"});
  ASSERT_EQ(o.status, 0) << o.err;
  std::ifstream in(work() / "out" / "summary.json");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("\"completed\": 6,"));
  // Leechers' uploads (peers.csv: group, then bytes_uploaded by header name).
  std::ifstream peers(work() / "out" / "peers.csv");
  std::string line;
  std::getline(peers, line);
  const auto split = [](const std::string& l) {
    std::vector<std::string> cells;
    std::stringstream in(l);
    for (std::string cell; std::getline(in, cell, ',');)
      cells.push_back(cell);
    return cells;
  };
  const auto header = split(line);
  const auto column = static_cast<std::size_t>(
      std::find(header.begin(), header.end(), "bytes_uploaded") - header.begin());
  ASSERT_LT(column, header.size());
  std::uint64_t by_leechers = 0;
  while (std::getline(peers, line)) {
    const auto cells = split(line);
    if (cells.at(1) != "seed") by_leechers += std::stoull(cells.at(column));
  }
  EXPECT_GT(by_leechers, 1u << 20);
}

// A group names a strategy of each kind; the run takes them (the resolved
// scenario names them and the results move), in simulation and over sockets.
TEST_F(cli_strategies, a_scenario_names_a_picker_and_a_neighbour_policy) {
  const auto scenario = [&](const std::string& picker, const std::string& neighbours) {
    file("kinds.yaml", fmt::format(R"(name: kinds
torrent: {{size: 2MiB, piece_size: 64KiB}}
groups:
  - {{name: seed, role: seed, upload: 20Mbit/s}}
  - {{name: leechers, count: 6, upload: 4Mbit/s, max_connections: 4,
      picker: {{policy: {}}}, neighbours: {{policy: {}}}}}
simulation: {{seed: 1, time_limit: 5s}}
)",
                                   picker, neighbours));
  };
  const auto read = [&](const std::string& path) {
    std::ifstream in(work() / path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  scenario("sequential", "large_view, connections: 40");
  ASSERT_EQ(swarmsim({"run", "kinds.yaml", "--out", "named", "-q"}).status, 0);
  const std::string resolved = read("named/scenario.resolved.yaml");
  EXPECT_THAT(resolved, HasSubstr("policy: sequential"));
  EXPECT_THAT(resolved, HasSubstr("policy: large_view\n      connections: 40\n"));
  scenario("rarest_first", "mainline");
  ASSERT_EQ(swarmsim({"run", "kinds.yaml", "--out", "plain", "-q"}).status, 0);
  EXPECT_NE(read("named/peers.csv"), read("plain/peers.csv")) << "the strategies changed nothing";
  scenario("sequential", "large_view");
  const outcome real = swarmsim({"run", "kinds.yaml", "--real", "--out", "real", "-q"});
  ASSERT_EQ(real.status, 0) << real.err;
  EXPECT_THAT(read("real/summary.json"), HasSubstr("\"completed\": 6,"));
}

TEST_F(cli_strategies, seed_and_download_refuse_a_bad_choker_naming_it) {
  for (const char* command : {"seed", "download"}) {
    const outcome o = swarmsim({command, "x.torrent", "--choker", "strict_tft,slotz=2"});
    EXPECT_EQ(o.status, 2) << command;
    EXPECT_THAT(o.err, HasSubstr("--choker: choker 'strict_tft' has no parameter 'slotz' (did you "
                                 "mean 'slots'?)"));
  }
  const outcome unknown = swarmsim({"seed", "x.torrent", "--choker", "tyrant"});
  EXPECT_EQ(unknown.status, 2);
  EXPECT_THAT(unknown.err, HasSubstr("--choker: unknown choker 'tyrant' (registered: mainline, "
                                     "strict_tft, "));
  const outcome range = swarmsim({"seed", "x.torrent", "--choker", "strict_tft,min_rate=-1"});
  EXPECT_EQ(range.status, 2);
  EXPECT_THAT(range.err, HasSubstr("--choker: min_rate: "));
  const outcome picker = swarmsim({"download", "x.torrent", "--picker", "rarest"});
  EXPECT_EQ(picker.status, 2);
  EXPECT_THAT(picker.err, HasSubstr("--picker: unknown picker 'rarest' (did you mean "
                                    "'rarest_first'?)"));
  const outcome view = swarmsim({"seed", "x.torrent", "--neighbours", "large_view,connections=0"});
  EXPECT_EQ(view.status, 2);
  EXPECT_THAT(view.err, HasSubstr("--neighbours: connections: 0 is outside"));
  EXPECT_EQ(swarmsim({"seed", "x.torrent", "--picker", "sequential"}).status,
            2);  // seeds pick nothing
}

}  // namespace
}  // namespace swarmsim::test
