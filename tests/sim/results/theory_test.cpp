#include "sim/results/theory.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace swarmsim::sim {
namespace {

TEST(kumar_ross, seed_upload_binds_when_the_seed_is_slow) {
  // F / u_s = 1000 / 10 = 100 s; the leechers could share much faster.
  const swarm_capacities c{1000, 10, {1000, 1000}, {1000, 1000}};
  const distribution_bounds b = kumar_ross_bounds(c);
  EXPECT_DOUBLE_EQ(b.seed, 100);
  EXPECT_DOUBLE_EQ(b.download, 1);
  EXPECT_DOUBLE_EQ(b.aggregate, 2000.0 / 2010.0);
  EXPECT_DOUBLE_EQ(minimum_distribution_time(c), 100);
}

TEST(kumar_ross, slowest_downloader_binds) {
  const swarm_capacities c{1000, 1000, {1000, 1000}, {10, 1000}};
  EXPECT_DOUBLE_EQ(kumar_ross_bounds(c).download, 100);
  EXPECT_DOUBLE_EQ(minimum_distribution_time(c), 100);
}

TEST(kumar_ross, free_riders_share_one_uplink) {
  // Four leechers that upload nothing: N F / u_s = 4 * 1000 / 100 = 40 s.
  const swarm_capacities c{1000, 100, {0, 0, 0, 0}, {1e6, 1e6, 1e6, 1e6}};
  EXPECT_DOUBLE_EQ(kumar_ross_bounds(c).aggregate, 40);
  EXPECT_DOUBLE_EQ(minimum_distribution_time(c), 40);
}

TEST(kumar_ross, aggregate_upload_binds_in_a_large_symmetric_swarm) {
  // 100 leechers uploading 10 each plus a seed of 100: 100 * 1000 / 1100 s.
  swarm_capacities c{1000, 100, std::vector<double>(100, 10), std::vector<double>(100, 1000)};
  EXPECT_DOUBLE_EQ(minimum_distribution_time(c), 100.0 * 1000 / 1100);
}

TEST(kumar_ross, nothing_to_distribute_without_leechers) {
  EXPECT_DOUBLE_EQ(minimum_distribution_time(swarm_capacities{1000, 10, {}, {}}), 0);
}

TEST(kumar_ross, rejects_impossible_swarms) {
  EXPECT_THROW(kumar_ross_bounds({1000, 0, {1}, {1}}), std::invalid_argument);
  EXPECT_THROW(kumar_ross_bounds({0, 10, {1}, {1}}), std::invalid_argument);
  EXPECT_THROW(kumar_ross_bounds({1000, 10, {1, 2}, {1}}), std::invalid_argument);
  EXPECT_THROW(kumar_ross_bounds({1000, 10, {1}, {0}}), std::invalid_argument);
  EXPECT_THROW(kumar_ross_bounds({1000, 10, {-1}, {1}}), std::invalid_argument);
}

TEST(kumar_ross, capacities_of_records_add_up_the_initial_seeds) {
  std::vector<peer_record> peers(4);
  peers[0].role = peer_role::initial_seed;
  peers[0].upload_capacity = 100;
  peers[1].role = peer_role::initial_seed;
  peers[1].upload_capacity = 50;
  peers[2].upload_capacity = 10;
  peers[2].download_capacity = 40;
  peers[3].upload_capacity = 20;
  peers[3].download_capacity = 80;
  const swarm_capacities c = capacities_of(peers, 1000);
  EXPECT_DOUBLE_EQ(c.file_size, 1000);
  EXPECT_DOUBLE_EQ(c.seed_upload, 150);
  EXPECT_EQ(c.leecher_uploads, (std::vector<double>{10, 20}));
  EXPECT_EQ(c.leecher_downloads, (std::vector<double>{40, 80}));
  // download bound 1000 / 40 = 25 s beats 2 * 1000 / 180 and 1000 / 150.
  EXPECT_DOUBLE_EQ(minimum_distribution_time(c), 25);
}

TEST(kumar_ross, t_min_at_start_counts_only_the_peers_there_at_t_0) {
  std::vector<planned_peer> plan(4);
  plan[0].initial_seed = true;
  plan[0].upload = 100;
  plan[1].upload = 10;
  plan[1].download = 40;
  plan[2].upload = 20;
  plan[2].download = 80;
  plan[3].upload = 1000;  // arrives later: not counted
  plan[3].download = 1;
  plan[3].arrival = protocol::time_origin + std::chrono::seconds(5);
  // max(1000 / 100, 1000 / 40, 2 * 1000 / 130) = 25 s.
  EXPECT_EQ(t_min_at_start(plan, 1000), std::chrono::seconds(25));
  plan[0].arrival = plan[3].arrival;  // no seed at t = 0
  EXPECT_EQ(t_min_at_start(plan, 1000), std::nullopt);
}

TEST(mundinger_weber_weiss, one_leecher_takes_one_file_time) {
  EXPECT_DOUBLE_EQ(mundinger_weber_weiss_time(1000, 10, 1, 10), 100);
}

TEST(mundinger_weber_weiss, adds_floor_log2_n_piece_times) {
  // F/u = 100 s, M = 4 pieces of 25 s each.
  EXPECT_DOUBLE_EQ(mundinger_weber_weiss_time(1000, 10, 7, 4), 150);  // floor(log2 7) = 2
  EXPECT_DOUBLE_EQ(mundinger_weber_weiss_time(1000, 10, 8, 4), 175);  // 3
  EXPECT_DOUBLE_EQ(mundinger_weber_weiss_time(1000, 10, 9, 4), 175);  // 3
  EXPECT_DOUBLE_EQ(mundinger_weber_weiss_time(1000, 10, 1024, 2000), 100 * (1 + 10.0 / 2000));
}

TEST(mundinger_weber_weiss, rejects_empty_swarms_and_files) {
  EXPECT_THROW(mundinger_weber_weiss_time(1000, 10, 0, 4), std::invalid_argument);
  EXPECT_THROW(mundinger_weber_weiss_time(1000, 10, 4, 0), std::invalid_argument);
  EXPECT_THROW(mundinger_weber_weiss_time(1000, 0, 4, 4), std::invalid_argument);
}

// dx/dt and dy/dt of the fluid model at (x, y).
std::pair<double, double> fluid_derivative(const fluid_parameters& p, double x, double y) {
  const double served = std::min(p.c * x, p.mu * (p.eta * x + y));
  return {p.lambda - p.theta * x - served, served - p.gamma * y};
}

TEST(qiu_srikant, upload_constrained_steady_state) {
  // Upload a file in 100 s, download in 20 s, seeds stay 50 s:
  // 1/beta = max(20, (100 - 50) / 1) = 50 s.
  const fluid_parameters p{.lambda = 1, .mu = 0.01, .c = 0.05, .theta = 0, .gamma = 0.02};
  const fluid_steady_state s = qiu_srikant_steady_state(p);
  EXPECT_DOUBLE_EQ(s.beta, 0.02);
  EXPECT_DOUBLE_EQ(s.leechers, 50);
  EXPECT_DOUBLE_EQ(s.seeds, 50);
  EXPECT_DOUBLE_EQ(s.download_time, 50);
  const auto [dx, dy] = fluid_derivative(p, s.leechers, s.seeds);
  EXPECT_NEAR(dx, 0, 1e-12);
  EXPECT_NEAR(dy, 0, 1e-12);
}

TEST(qiu_srikant, download_constrained_steady_state_with_aborts) {
  // 1/beta = max(100, 20 - 50) = 100 s; theta = 0.01: T = 1 / 0.02 = 50 s.
  const fluid_parameters p{.lambda = 1, .mu = 0.05, .c = 0.01, .theta = 0.01, .gamma = 0.02};
  const fluid_steady_state s = qiu_srikant_steady_state(p);
  EXPECT_DOUBLE_EQ(s.download_time, 50);
  EXPECT_DOUBLE_EQ(s.leechers, 50);  // 1 / (0.01 + 0.01)
  EXPECT_DOUBLE_EQ(s.seeds, 25);     // 1 / (0.02 (1 + 1))
  const auto [dx, dy] = fluid_derivative(p, s.leechers, s.seeds);
  EXPECT_NEAR(dx, 0, 1e-12);
  EXPECT_NEAR(dy, 0, 1e-12);
}

TEST(qiu_srikant, lower_efficiency_slows_an_upload_constrained_swarm) {
  const fluid_parameters p{
      .lambda = 1, .mu = 0.01, .c = 0.05, .theta = 0, .gamma = 0.02, .eta = 0.5};
  const fluid_steady_state s = qiu_srikant_steady_state(p);
  EXPECT_DOUBLE_EQ(s.download_time, 100);  // (100 - 50) / 0.5
  const auto [dx, dy] = fluid_derivative(p, s.leechers, s.seeds);
  EXPECT_NEAR(dx, 0, 1e-12);
  EXPECT_NEAR(dy, 0, 1e-12);
}

TEST(qiu_srikant, download_time_does_not_depend_on_the_arrival_rate) {
  fluid_parameters p{.lambda = 0.1, .mu = 0.01, .c = 0.05, .theta = 0.001, .gamma = 0.02};
  const double slow = qiu_srikant_steady_state(p).download_time;
  p.lambda = 10;
  EXPECT_DOUBLE_EQ(qiu_srikant_steady_state(p).download_time, slow);
}

TEST(qiu_srikant, seeds_that_never_leave_accumulate) {
  const fluid_parameters p{.lambda = 1, .mu = 0.01, .c = 0.05, .theta = 0, .gamma = 0};
  const fluid_steady_state s = qiu_srikant_steady_state(p);
  EXPECT_DOUBLE_EQ(s.download_time, 20);  // 1 / c: download-limited
  EXPECT_TRUE(std::isinf(s.seeds));
}

TEST(qiu_srikant, rejects_parameters_outside_the_model) {
  EXPECT_THROW(qiu_srikant_steady_state({.lambda = 1, .mu = 0, .c = 1}), std::invalid_argument);
  EXPECT_THROW(qiu_srikant_steady_state({.lambda = 1, .mu = 1, .c = 0}), std::invalid_argument);
  EXPECT_THROW(qiu_srikant_steady_state({.lambda = 1, .mu = 1, .c = 1, .eta = 0}),
               std::invalid_argument);
  EXPECT_THROW(qiu_srikant_steady_state({.lambda = -1, .mu = 1, .c = 1}), std::invalid_argument);
}

}  // namespace
}  // namespace swarmsim::sim
