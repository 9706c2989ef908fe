// Churn from scenario files: leechers that abort, seeding times drawn from a
// distribution, and the original seed leaving at a given time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "sim/engine/population.hpp"
#include "sim/engine/swarm.hpp"
#include "sim/scenario/scenario.hpp"

namespace swarmsim::sim {
namespace {

using namespace std::chrono_literals;
using protocol::to_seconds;
using testing::HasSubstr;

// 1 seed and `leechers` leechers on a 4 MiB torrent (16 pieces), plus `extra`
// YAML lines appended to the leechers' group.
std::string swarm_yaml(int leechers, const std::string& extra, const std::string& sim = "") {
  return "torrent: {size: 4MiB, piece_size: 256KiB}\n"
         "network: {local_latency: 5ms}\n"
         "tracker: {latency: 5ms}\n"
         "groups:\n"
         "  - {name: seed, role: seed, upload: 8Mbit/s}\n"
         "  - name: leechers\n"
         "    count: " +
         std::to_string(leechers) +
         "\n"
         "    upload: 2Mbit/s\n"
         "    download: 8Mbit/s\n" +
         extra + "simulation: {time_limit: 2h" + sim + "}\n";
}

std::string error_of(const std::string& yaml) {
  try {
    parse_scenario(yaml, "test.yaml");
  } catch (const scenario_error& e) {
    return e.what();
  }
  return "no error";
}

run_result run_yaml(const std::string& yaml) {
  return swarm(parse_scenario(yaml, "test.yaml")).run();
}

TEST(churn, abort_fields_load_save_and_reload) {
  const auto s = parse_scenario(
      swarm_yaml(4,
                 "    abort: {probability: 0.25, rate: 6/h}\n"
                 "    after_completion: {seed_for: {lognormal: {median: 2min, sigma: 0.5}}}\n"),
      "test.yaml");
  const auto& g = s.groups[1];
  EXPECT_EQ(g.abort.probability, 0.25);
  EXPECT_NEAR(g.abort.rate, 6.0 / 3600, 1e-12);
  EXPECT_EQ(g.after_completion.kind, after_completion_kind::seed_for);
  EXPECT_EQ(g.after_completion.distribution, seed_time_kind::lognormal);
  EXPECT_EQ(g.after_completion.seed_time, 120s);
  EXPECT_EQ(g.after_completion.sigma, 0.5);
  EXPECT_EQ(parse_scenario(save_scenario(s), "saved.yaml"), s);

  const auto e = parse_scenario(
      swarm_yaml(4, "    after_completion: {seed_for: {exponential: 90s}}\n"), "test.yaml");
  EXPECT_EQ(e.groups[1].after_completion.distribution, seed_time_kind::exponential);
  EXPECT_EQ(parse_scenario(save_scenario(e), "saved.yaml"), e);
}

TEST(churn, bad_churn_fields_are_refused_with_the_field_named) {
  EXPECT_THAT(error_of(swarm_yaml(4, "    abort: {probability: 1.5}\n")),
              HasSubstr("probability: 1.5 is outside [0, 1]"));
  EXPECT_THAT(error_of(swarm_yaml(4, "    abort: {probablity: 0.5}\n")),
              HasSubstr("did you mean 'probability'"));
  EXPECT_THAT(error_of(swarm_yaml(
                  4, "    after_completion: {seed_for: {lognormal: {median: 1min, sigma: 0}}}\n")),
              HasSubstr("sigma: 0 is outside (0"));
  EXPECT_THAT(error_of(swarm_yaml(4, "    after_completion: {seed_for: {weibull: 1min}}\n")),
              HasSubstr("unknown key 'weibull'"));
}

TEST(churn, leechers_with_abort_probability_one_all_leave_before_completing) {
  const auto r = run_yaml(swarm_yaml(10, "    abort: {probability: 1}\n"));
  std::uint32_t leechers = 0;
  for (const auto& p : r.peers) {
    if (p.role != peer_role::leecher) continue;
    ++leechers;
    EXPECT_FALSE(p.completion) << "peer " << p.id.value();
    ASSERT_TRUE(p.departure) << "peer " << p.id.value();
    EXPECT_LT(p.pieces_at_end, 16u);
  }
  EXPECT_EQ(leechers, 10u);
  EXPECT_EQ(r.samples.back().leechers, 0u);
  EXPECT_EQ(r.blocks_sent_after_departure, 0u);
  EXPECT_EQ(r.protocol_errors, 0u);
}

TEST(churn, abort_probability_splits_leechers_into_quitters_and_finishers) {
  const auto r = run_yaml(swarm_yaml(40, "    abort: {probability: 0.5}\n"));
  int aborted = 0, completed = 0;
  for (const auto& p : r.peers) {
    if (p.role != peer_role::leecher) continue;
    if (p.completion)
      ++completed;
    else if (p.departure)
      ++aborted;
  }
  EXPECT_EQ(aborted + completed, 40);
  // Binomial(40, 0.5): 10..30 holds with probability > 0.998.
  EXPECT_GE(aborted, 10);
  EXPECT_LE(aborted, 30);
}

TEST(churn, abort_rate_times_are_exponential_from_arrival) {
  // Leechers that can barely download (the seed is slow): almost all abort first.
  std::string yaml = swarm_yaml(200, "    abort: {rate: 1/min}\n");
  auto s = parse_scenario(yaml, "test.yaml");
  s.groups[0].upload = 1000;  // bytes/s: nobody completes within minutes
  s.simulation.stop = stop_kind::all_complete;
  const auto r = swarm(s).run();
  double sum = 0;
  int n = 0;
  for (const auto& p : r.peers) {
    if (p.role != peer_role::leecher) continue;
    ASSERT_TRUE(p.departure);
    EXPECT_FALSE(p.completion);
    sum += to_seconds(*p.departure - p.arrival);
    ++n;
  }
  // Mean of 200 exponentials of mean 60 s: standard error 4.2 s.
  EXPECT_NEAR(sum / n, 60.0, 15.0);
}

TEST(churn, seeding_times_follow_the_chosen_distribution) {
  const auto times = [](const std::string& after) {
    auto s = parse_scenario(swarm_yaml(400, after), "test.yaml");
    const protocol::torrent_geometry geo(s.torrent.size, s.torrent.piece_size,
                                         s.torrent.block_size);
    const auto plan = plan_peers(s, topology::build(s.network), geo);
    std::vector<double> out;
    for (const auto& p : plan)
      if (!p.initial_seed) out.push_back(to_seconds(p.seed_time));
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto fixed = times("    after_completion: {seed_for: 90s}\n");
  EXPECT_EQ(fixed.front(), 90.0);
  EXPECT_EQ(fixed.back(), 90.0);

  const auto expo = times("    after_completion: {seed_for: {exponential: 100s}}\n");
  double mean = 0;
  for (double t : expo)
    mean += t;
  mean /= static_cast<double>(expo.size());
  EXPECT_NEAR(mean, 100.0, 15.0);                  // standard error 5 s
  EXPECT_NEAR(expo[expo.size() / 2], 69.3, 15.0);  // median = mean ln 2

  const auto logn =
      times("    after_completion: {seed_for: {lognormal: {median: 100s, sigma: 1}}}\n");
  EXPECT_NEAR(logn[logn.size() / 2], 100.0, 20.0);
  // P(X > median e^sigma) = P(Z > 1) = 0.159.
  const auto above =
      std::count_if(logn.begin(), logn.end(), [](double t) { return t > 100 * M_E; });
  EXPECT_NEAR(static_cast<double>(above) / static_cast<double>(logn.size()), 0.159, 0.06);
}

TEST(churn, completed_leechers_leave_after_their_own_seeding_time) {
  const auto r = run_yaml(swarm_yaml(12, "    after_completion: {seed_for: {exponential: 20s}}\n",
                                     ", stop: time_limit"));
  std::vector<double> stays;
  for (const auto& p : r.peers) {
    if (p.role != peer_role::leecher) continue;
    ASSERT_TRUE(p.completion);
    if (!p.departure) continue;  // the run ended while it still seeded
    stays.push_back(to_seconds(*p.departure - *p.completion));
  }
  ASSERT_GE(stays.size(), 2u);
  std::sort(stays.begin(), stays.end());
  EXPECT_LT(stays.front(), stays.back());  // drawn per peer, not one fixed time
}

TEST(churn, the_original_seed_leaves_at_its_leave_at_time_and_the_leechers_finish_without_it) {
  // The seed leaves at 30 s, after it uploaded every piece at least once.
  auto r = run_yaml(
      "torrent: {size: 2MiB, piece_size: 256KiB}\n"
      "groups:\n"
      "  - {name: seed, role: seed, upload: 8Mbit/s, leave_at: 30s}\n"
      "  - {name: leechers, count: 8, upload: 2Mbit/s, download: 8Mbit/s}\n"
      "simulation: {stop: time_limit, time_limit: 60s}\n");
  const auto& seed = r.peers.front();
  ASSERT_EQ(seed.role, peer_role::initial_seed);
  ASSERT_TRUE(seed.departure);
  EXPECT_EQ(*seed.departure, 30s);
  for (const auto& p : r.peers) {
    if (p.role == peer_role::leecher) {
      EXPECT_TRUE(p.completion);
    }
  }
}

TEST(churn, same_seed_same_churn) {
  const std::string yaml = swarm_yaml(20,
                                      "    abort: {probability: 0.3, rate: 1/min}\n"
                                      "    after_completion: {seed_for: {exponential: 30s}}\n");
  const auto a = run_yaml(yaml);
  const auto b = run_yaml(yaml);
  ASSERT_EQ(a.peers.size(), b.peers.size());
  for (std::size_t i = 0; i < a.peers.size(); ++i) {
    EXPECT_EQ(a.peers[i].departure, b.peers[i].departure);
    EXPECT_EQ(a.peers[i].completion, b.peers[i].completion);
  }
}

}  // namespace
}  // namespace swarmsim::sim
