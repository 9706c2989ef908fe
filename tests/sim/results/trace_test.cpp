#include "sim/results/trace.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sim/engine/swarm.hpp"
#include "sim/scenario/scenario.hpp"

namespace swarmsim::sim {
namespace {

using testing::HasSubstr;

std::string swarm_yaml(const std::string& simulation) {
  return "torrent: {size: 2MiB}\n"
         "groups:\n"
         "  - {name: seed, role: seed, upload: 8Mbit/s}\n"
         "  - {name: leechers, count: 6, upload: 2Mbit/s, download: 8Mbit/s}\n"
         "simulation: {" +
         simulation + "}\n";
}

TEST(traces, are_off_by_default) {
  const auto r = swarm(parse_scenario(swarm_yaml("seed: 1"), "test.yaml")).run();
  EXPECT_TRUE(r.traces.empty());
}

TEST(traces, unchoke_traces_alternate_per_pair_and_start_with_an_unchoke) {
  const auto s = parse_scenario(swarm_yaml("trace: [unchoke]"), "test.yaml");
  EXPECT_EQ(s.simulation.trace, std::vector<trace_kind>{trace_kind::unchoke});
  EXPECT_EQ(parse_scenario(save_scenario(s), "saved.yaml"), s);
  const auto r = swarm(s).run();
  ASSERT_FALSE(r.traces.empty());
  std::map<std::pair<std::uint32_t, std::uint32_t>, trace_event> last;
  bool seed_unchoked = false;
  for (const auto& t : r.traces) {
    ASSERT_TRUE(t.event == trace_event::unchoke || t.event == trace_event::choke);
    const auto key = std::pair{t.peer.value(), t.remote.value()};
    const auto it = last.find(key);
    if (it == last.end())
      EXPECT_EQ(t.event, trace_event::unchoke) << "a pair starts choked";
    else
      EXPECT_NE(it->second, t.event) << "state changes alternate";
    last[key] = t.event;
    seed_unchoked |= t.peer.value() == 0;
  }
  EXPECT_TRUE(seed_unchoked);
  for (std::size_t i = 1; i < r.traces.size(); ++i)
    EXPECT_LE(r.traces[i - 1].time, r.traces[i].time);
}

TEST(traces, interest_traces_show_every_leecher_wanting_the_seed) {
  const auto r =
      swarm(parse_scenario(swarm_yaml("trace: [interest, unchoke, interest]"), "test.yaml")).run();
  std::set<std::uint32_t> interested_in_seed;
  bool saw_unchoke = false;
  for (const auto& t : r.traces) {
    if (t.event == trace_event::interested && t.remote.value() == 0)
      interested_in_seed.insert(t.peer.value());
    saw_unchoke |= t.event == trace_event::unchoke;
  }
  EXPECT_EQ(interested_in_seed.size(), 6u);
  EXPECT_TRUE(saw_unchoke);
  const std::string csv = format_traces_csv(r.traces);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "time_s,peer,remote,event");
  EXPECT_THAT(csv, HasSubstr(",interested\n"));
}

TEST(traces, unknown_kinds_are_refused) {
  try {
    parse_scenario(swarm_yaml("trace: [unchoked]"), "test.yaml");
    ADD_FAILURE() << "no error";
  } catch (const scenario_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("did you mean 'unchoke'"));
  }
}

}  // namespace
}  // namespace swarmsim::sim
