// `run --real`: scenarios run over real sockets on 127.0.0.1 (run_real), what real
// mode refuses (check_real_scenario), and the comparison with the simulator
// (real_compare.hpp), including the agreement on a smaller real-reference.yaml.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sim/engine/swarm.hpp"
#include "sim/real/real_fixture.hpp"
#include "sim/real/run/real_compare.hpp"
#include "sim/real/run/real_run.hpp"

namespace swarmsim::sim::real {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* small = R"(name: small
torrent: {size: 1MiB, piece_size: 64KiB, block_size: 16KiB}
groups:
  - {name: seed, role: seed, upload: 4MiB/s}
  - {name: leechers, count: 3, role: leecher, upload: 2MiB/s, download: 8MiB/s}
simulation: {seed: 3, time_limit: 1min}
)";

scenario parse(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return parse_scenario(yaml, "test.yaml", overrides);
}

std::string refusal(const std::string& yaml, const std::vector<std::string>& overrides = {},
                    const real_run_limits& limits = {}) {
  return check_real_scenario(parse(yaml, overrides), limits).value_or("(accepted)");
}

// ---- refusals ----

TEST(real_run_check, accepts_a_small_single_site_scenario) {
  EXPECT_EQ(check_real_scenario(parse(small)), std::nullopt);
}

TEST(real_run_check, refuses_several_sites_naming_the_field) {
  const std::string yaml = std::string(small) + R"(network:
  sites: [a, b]
  links: [{a: a, b: b, latency: 20ms}]
)";
  EXPECT_THAT(refusal(yaml, {"groups.0.site=a", "groups.1.site=b"}), StartsWith("network.sites:"));
}

TEST(real_run_check, refuses_overlay_samples_and_traces) {
  EXPECT_THAT(refusal(small, {"simulation.overlay_interval=1s"}),
              StartsWith("simulation.overlay_interval:"));
  EXPECT_THAT(refusal(small, {"simulation.trace=[unchoke]"}), StartsWith("simulation.trace:"));
}

TEST(real_run_check, refuses_blocks_other_than_16_kib_and_odd_piece_sizes) {
  EXPECT_THAT(refusal(small, {"torrent.block_size=32KiB"}), StartsWith("torrent.block_size:"));
  EXPECT_THAT(refusal(small, {"torrent.piece_size=48KiB"}), StartsWith("torrent.piece_size:"));
}

TEST(real_run_check, refuses_scenarios_too_big_and_says_the_limit) {
  EXPECT_THAT(refusal(small, {"groups.leechers.count=64"}),
              AllOf(StartsWith("groups:"), HasSubstr("65 peers"), HasSubstr("at most 64")));
  EXPECT_THAT(refusal(small, {"torrent.size=300MiB"}),
              AllOf(StartsWith("torrent.size:"), HasSubstr("at most 256MiB")));
  real_run_limits tight;
  tight.max_disk = 3 << 20;  // the source and three copies of 1 MiB need 4 MiB
  EXPECT_THAT(refusal(small, {}, tight), StartsWith("torrent.size:"));
  EXPECT_THAT(refusal(small, {"simulation.stop=time_limit", "simulation.time_limit=1h"}),
              StartsWith("simulation.time_limit:"));
  EXPECT_THAT(refusal(small, {"groups.leechers.arrival={at: 11min}"}),
              StartsWith("groups.leechers.arrival:"));
}

TEST(real_run_check, run_real_throws_the_refusal) {
  try {
    run_real(parse(small, {"torrent.block_size=32KiB"}));
    FAIL() << "no exception";
  } catch (const scenario_error& e) {
    EXPECT_THAT(e.what(), StartsWith("torrent.block_size:"));
  }
}

// ---- real runs ----

TEST(real_run, every_leecher_completes_with_records_like_the_simulators) {
  testing::scratch_dir work;
  real_run_options o;
  o.work_dir = work.path();
  const scenario s = parse(small);
  const real_run_result r = run_real(s, o);
  EXPECT_FALSE(r.cut_short);
  EXPECT_EQ(r.hash_failures, 0u);
  ASSERT_EQ(r.peers.size(), 4u);
  const std::uint32_t pieces = 16;
  for (std::size_t i = 0; i < r.peers.size(); ++i) {
    const peer_record& p = r.peers[i];
    EXPECT_EQ(p.id, protocol::peer_id{static_cast<std::uint32_t>(i)});
    EXPECT_EQ(p.pieces_at_end, pieces);
    if (i == 0) {
      EXPECT_EQ(p.role, peer_role::initial_seed);
      EXPECT_FALSE(p.completion);
      continue;
    }
    EXPECT_EQ(p.group, "leechers");
    ASSERT_TRUE(p.completion);
    ASSERT_TRUE(p.first_piece);
    EXPECT_LE(*p.first_piece, *p.completion);
    EXPECT_GE(p.bytes_downloaded - p.bytes_wasted, s.torrent.size);
    EXPECT_GE(p.connections_total, 1u);
  }
  // Payload is conserved among peers that all stayed to the end, but for blocks
  // on the wire when their connection closed (a leecher that completes drops its
  // connections to seeds, endgame duplicates included). A block is only sent on
  // request, so each direction of a connection has at most the pipeline depth
  // (5) of them in flight; connections_total counts each connection at both ends.
  std::uint64_t up = 0, down = 0, ends = 0;
  for (const auto& p : r.peers) {
    up += p.bytes_uploaded;
    down += p.bytes_downloaded;
    ends += p.connections_total;
  }
  EXPECT_GE(up, down);
  EXPECT_LE(up - down, ends * 5 * 16384);
  ASSERT_FALSE(r.samples.empty());
  EXPECT_EQ(r.samples.back().completed, 3u);
  EXPECT_EQ(r.samples.back().seeds, 4u);
  // Invariant 2: the scratch directory is gone.
  EXPECT_TRUE(fs::is_empty(work.path()));
  const run_summary sum = summarize(r.peers, r.samples, r.info);
  EXPECT_EQ(sum.completed, 3u);
  EXPECT_TRUE(sum.all_done);
  // T_min from the same plan through the same formula as the simulator's.
  ASSERT_TRUE(r.info.t_min);
  EXPECT_EQ(r.info.t_min, swarm(s).t_min());
}

// The samples come from the simulator's sampler (sim/engine/choreography.hpp): peer
// availability is NaN (an empty cell) while no live leecher has a connection, as
// at the start and once everyone completed, and a fraction in between.
TEST(real_run, samples_fill_peer_availability_like_the_simulator) {
  const scenario s = parse(small, {"simulation.sample_interval=20ms", "groups.seed.upload=1MiB/s",
                                   "groups.leechers.upload=512KiB/s"});
  const real_run_result r = run_real(s);
  ASSERT_GE(r.samples.size(), 3u);
  EXPECT_EQ(r.samples.back().completed, 3u);
  EXPECT_TRUE(std::isnan(r.samples.front().peer_availability)) << "no connection yet";
  EXPECT_TRUE(std::isnan(r.samples.back().peer_availability)) << "no leecher left";
  std::size_t defined = 0;
  for (const sample& x : r.samples) {
    if (std::isnan(x.peer_availability)) continue;
    ++defined;
    EXPECT_GE(x.peer_availability, 0.0);
    EXPECT_LE(x.peer_availability, 1.0);
  }
  EXPECT_GT(defined, 0u);
  // The simulator's samples of the same scenario agree at both ends.
  const run_result sim = swarm(s).run();
  EXPECT_TRUE(std::isnan(sim.samples.front().peer_availability));
  EXPECT_TRUE(std::isnan(sim.samples.back().peer_availability));
}

TEST(real_run, partitioned_content_and_churn_run_for_real) {
  // No full seed: three peers split the pieces. Leechers leave on completing; a
  // quarter of the partition peers' pieces are needed from each of the others.
  const scenario s = parse(R"(name: churn
torrent: {size: 1MiB, piece_size: 32KiB, block_size: 16KiB}
groups:
  - {name: parts, count: 3, content: partition, upload: 4MiB/s, leave_at: 20s}
  - name: leechers
    count: 3
    role: leecher
    upload: 2MiB/s
    arrival: {uniform: {start: 0s, window: 300ms}}
    after_completion: leave
simulation: {seed: 5, time_limit: 1min}
)");
  const real_run_result r = run_real(s);
  EXPECT_FALSE(r.cut_short);
  ASSERT_EQ(r.peers.size(), 6u);
  std::uint32_t at_start = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    at_start += r.peers[i].pieces_at_start;
    EXPECT_FALSE(r.peers[i].departure);  // the run ends (at 0.x s) before leave_at
  }
  EXPECT_EQ(at_start, 32u);
  for (std::size_t i = 3; i < 6; ++i) {
    const peer_record& p = r.peers[i];
    ASSERT_TRUE(p.completion) << i;
    ASSERT_TRUE(p.departure) << i;
    EXPECT_GE(*p.departure, *p.completion);
    EXPECT_EQ(p.pieces_at_end, 32u);
  }
  EXPECT_EQ(r.samples.back().departed, 3u);
}

TEST(real_run, a_run_past_the_wall_clock_cap_is_cut_short) {
  real_run_options o;
  o.limits.max_duration = std::chrono::milliseconds(300);
  // 1 MiB at 256 KiB/s from the only seed takes 4 s.
  const real_run_result r =
      run_real(parse(small, {"groups.seed.upload=256KiB/s", "groups.leechers.upload=1KiB/s"}), o);
  EXPECT_TRUE(r.cut_short);
  for (std::size_t i = 1; i < r.peers.size(); ++i)
    EXPECT_FALSE(r.peers[i].completion);
}

// ---- comparison ----

peer_record leecher(std::string group, double arrival, std::optional<double> completion) {
  peer_record p;
  p.group = std::move(group);
  p.role = peer_role::leecher;
  p.arrival = protocol::from_seconds(arrival);
  if (completion) p.completion = protocol::from_seconds(*completion);
  return p;
}

TEST(real_compare, stats_use_completed_leechers_only_and_type_7_quantiles) {
  std::vector<peer_record> peers;
  peer_record seed;
  seed.role = peer_role::initial_seed;
  peers.push_back(seed);
  for (int i = 1; i <= 11; ++i)
    peers.push_back(leecher("a", 1.0, 1.0 + i));  // download times 1 ... 11
  peers.push_back(leecher("a", 0, std::nullopt));
  const auto s = download_time_stats(peers);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->count, 11u);
  EXPECT_DOUBLE_EQ(s->min, 1);
  EXPECT_DOUBLE_EQ(s->p10, 2);  // h = 10 x 0.1 = 1
  EXPECT_DOUBLE_EQ(s->median, 6);
  EXPECT_DOUBLE_EQ(s->p90, 10);
  EXPECT_DOUBLE_EQ(s->max, 11);
  EXPECT_DOUBLE_EQ(s->mean, 6);
  EXPECT_FALSE(download_time_stats(peers, "b"));
}

TEST(real_compare, rows_per_group_and_relative_differences) {
  const std::vector<peer_record> sim{leecher("a", 0, 10), leecher("b", 0, 20)};
  const std::vector<peer_record> real{leecher("a", 0, 12), leecher("b", 0, 20),
                                      leecher("b", 0, std::nullopt)};
  const auto rows = compare_download_times(sim, real);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].group, "all");
  EXPECT_EQ(rows[1].group, "a");
  EXPECT_EQ(rows[2].group, "b");
  EXPECT_EQ(rows[2].leechers_real, 2u);
  EXPECT_EQ(rows[2].real->count, 1u);
  EXPECT_DOUBLE_EQ(*relative_difference(rows[1].sim->median, rows[1].real->median), 0.2);
  EXPECT_FALSE(relative_difference(0, 1));
  const std::string csv = format_compare_csv(rows);
  EXPECT_THAT(csv, StartsWith("group,statistic,sim,real,relative_difference\n"));
  EXPECT_THAT(csv, HasSubstr("a,median_s,10.000,12.000,0.2000\n"));
  EXPECT_THAT(csv, HasSubstr("b,leechers,1,2,1.0000\n"));
  // One group: only "all".
  EXPECT_EQ(compare_download_times(std::vector{sim[0]}, std::vector{real[0]}).size(), 1u);
}

// The reference scenario, shrunk to a few seconds (4 MiB, 6 leechers): the
// simulated and real download times agree within the tolerance docs/REAL.md states.
TEST(real_compare, real_reference_agrees_with_the_simulation) {
  constexpr double tolerance = 0.25;
  const scenario s =
      load_scenario(std::string(SWARMSIM_SOURCE_DIR) + "/scenarios/real-reference.yaml",
                    {"torrent.size=4MiB", "groups.leechers.count=6",
                     "groups.leechers.arrival={uniform: {start: 0s, window: 2s}}"});
  const run_result simulated = swarm(s).run();
  const real_run_result r = run_real(s);
  ASSERT_FALSE(r.cut_short);
  EXPECT_EQ(r.hash_failures, 0u);
  const auto sim_stats = download_time_stats(simulated.peers);
  const auto real_stats = download_time_stats(r.peers);
  ASSERT_TRUE(sim_stats && real_stats);
  ASSERT_EQ(sim_stats->count, 6u);
  ASSERT_EQ(real_stats->count, 6u);
  const double median = *relative_difference(sim_stats->median, real_stats->median);
  const double p90 = *relative_difference(sim_stats->p90, real_stats->p90);
  EXPECT_LE(std::abs(median), tolerance) << sim_stats->median << " s vs " << real_stats->median;
  EXPECT_LE(std::abs(p90), tolerance) << sim_stats->p90 << " s vs " << real_stats->p90;
}

}  // namespace
}  // namespace swarmsim::sim::real
