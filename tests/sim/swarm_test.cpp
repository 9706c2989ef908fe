#include "sim/swarm.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "sim/link_model.hpp"
#include "sim/output.hpp"

namespace swarmsim::sim {
namespace {

using namespace std::chrono_literals;

constexpr double mbit = 1e6 / 8;  // bytes per second

group_spec seeds(std::uint32_t n, double up) {
  group_spec g;
  g.name = "seeds";
  g.count = n;
  g.content.kind = content_kind::all;
  g.upload = up;
  g.download = up;
  return g;
}

group_spec leechers(std::uint32_t n, double up, double down) {
  group_spec g;
  g.name = "leechers";
  g.count = n;
  g.upload = up;
  g.download = down;
  return g;
}

scenario flash_crowd(std::uint32_t n, std::uint64_t size, double seed_up, double up, double down) {
  scenario s;
  s.name = "test";
  s.torrent.size = size;
  s.torrent.piece_size = 256 * 1024;
  s.groups = {seeds(1, seed_up), leechers(n, up, down)};
  s.network.local_latency = 5ms;
  s.tracker.latency = 5ms;
  return s;
}

const peer_record* find_group(const run_result& r, std::string_view group) {
  for (const auto& p : r.peers)
    if (p.group == group) return &p;
  return nullptr;
}

TEST(swarm, small_flash_crowd_completes_and_conserves_bytes) {
  swarm sw(flash_crowd(12, 8 << 20, 10 * mbit, 2 * mbit, 10 * mbit));
  const auto r = sw.run();
  std::uint64_t up = 0, down = 0;
  for (const auto& p : r.peers) {
    up += p.bytes_uploaded;
    down += p.bytes_downloaded;
    if (p.role == peer_role::leecher) {
      ASSERT_TRUE(p.completion) << "peer " << p.id.value() << " did not complete";
      EXPECT_EQ(p.pieces_at_end, (8u << 20) / (256 * 1024));
      EXPECT_GE(p.bytes_downloaded, std::uint64_t{8} << 20);
    }
  }
  EXPECT_EQ(up, down + r.undelivered_payload);
  EXPECT_EQ(r.protocol_errors, 0u);
  // Only endgame duplicates and blocks racing a close go astray: a few per peer.
  EXPECT_LE(r.undelivered_payload, 12u * 4 * 16384);
  EXPECT_FALSE(r.samples.empty());
  EXPECT_EQ(r.samples.back().completed, 12u);
}

TEST(swarm, refused_connections_leave_no_half_open_sessions) {
  // Few connection slots: many connects are refused or race each other.
  auto s = flash_crowd(20, 4 << 20, 8 * mbit, 2 * mbit, 8 * mbit);
  for (auto& g : s.groups) {
    g.max_connections = 4;
    g.max_initiate = 3;
  }
  const auto r = swarm(s).run();
  EXPECT_EQ(r.stalled_handshakes, 0u);
  EXPECT_EQ(r.protocol_errors, 0u);
  for (const auto& p : r.peers) {
    EXPECT_TRUE(p.completion || p.role != peer_role::leecher) << "peer " << p.id.value();
    EXPECT_LE(p.connections_max, 4u);
  }
}

TEST(swarm, no_block_is_sent_while_choking_or_after_leaving_under_churn) {
  // Peers come and go while the choker rotates: seeds leave mid-run, leechers
  // leave on completion, arrivals are spread out, rechokes are frequent.
  auto s = flash_crowd(24, 8 << 20, 8 * mbit, 2 * mbit, 8 * mbit);
  s.groups[0].count = 2;
  s.groups[0].leave_at = 40s;
  s.groups[1].arrival.kind = arrival_kind::uniform;
  s.groups[1].arrival.window = 30s;
  s.groups[1].after_completion.kind = after_completion_kind::leave;
  s.groups[1].choker.rechoke_interval = 2s;
  s.groups[1].choker.optimistic_interval = 4s;
  s.simulation.time_limit = 600s;
  const auto r = swarm(s).run();
  std::uint64_t up = 0;
  std::uint32_t departed = 0;
  for (const auto& p : r.peers) {
    up += p.bytes_uploaded;
    departed += p.departure.has_value();
  }
  ASSERT_GT(up, 0u);
  EXPECT_GE(departed, 2u);
  EXPECT_EQ(r.blocks_sent_while_choking, 0u);
  EXPECT_EQ(r.blocks_sent_after_departure, 0u);
  EXPECT_EQ(r.protocol_errors, 0u);
}

TEST(swarm, same_seed_gives_identical_csv_and_another_seed_differs) {
  auto s = flash_crowd(10, 4 << 20, 8 * mbit, 2 * mbit, 8 * mbit);
  s.groups[1].arrival.kind = arrival_kind::uniform;
  s.groups[1].arrival.window = 20s;
  auto csv = [](const scenario& x) {
    swarm sw(x);
    const auto r = sw.run();
    return format_peers_csv(r.peers) + format_timeseries_csv(r.samples);
  };
  const auto a = csv(s);
  EXPECT_EQ(a, csv(s));
  s.simulation.seed = 2;
  EXPECT_NE(a, csv(s));
}

TEST(swarm, homogeneous_flash_crowd_is_within_bounds_of_the_minimum_distribution_time) {
  // Kumar & Ross: T_min = max(F/u_s, F/d_min, N F / (u_s + sum u_i)).
  auto s = flash_crowd(30, 16 << 20, 20 * mbit, 4 * mbit, 20 * mbit);
  s.groups[0].choker.upload_slots = 8;
  swarm sw(s);
  const auto t_min = sw.t_min();
  ASSERT_TRUE(t_min);
  const auto r = sw.run();
  duration all_done{};
  for (const auto& p : r.peers)
    if (p.role == peer_role::leecher) {
      ASSERT_TRUE(p.completion);
      all_done = std::max(all_done, *p.completion);
    }
  EXPECT_EQ(r.protocol_errors, 0u);
  EXPECT_GE(all_done, *t_min);
  EXPECT_LE(protocol::to_seconds(all_done), 1.3 * protocol::to_seconds(*t_min))
      << "T_min " << protocol::to_seconds(*t_min) << " s";
}

TEST(swarm, one_seed_serving_k_leechers_gives_each_about_u_over_k) {
  // Leechers barely upload, so the seed's uplink is the only source.
  const std::uint32_t k = 4;
  const std::uint64_t size = 4 << 20;
  const double u = 8 * mbit;
  auto s = flash_crowd(k, size, u, 1000, 100 * mbit);
  s.groups[0].choker.upload_slots = k;
  s.groups[1].arrival.start = 0s;
  swarm sw(s);
  const auto r = sw.run();
  const double expected = static_cast<double>(size) * k / u;
  for (const auto& p : r.peers) {
    if (p.role != peer_role::leecher) continue;
    ASSERT_TRUE(p.completion);
    EXPECT_NEAR(protocol::to_seconds(*p.completion), expected, 0.1 * expected);
  }
}

TEST(swarm, leecher_fed_by_many_seeds_is_capped_by_its_downlink) {
  const std::uint64_t size = 4 << 20;
  const double d = 4 * mbit;
  scenario s = flash_crowd(1, size, 50 * mbit, 50 * mbit, d);
  s.groups[0].count = 6;
  const auto r = swarm(s).run();
  const auto* l = find_group(r, "leechers");
  ASSERT_NE(l, nullptr);
  ASSERT_TRUE(l->completion);
  const double expected = static_cast<double>(size) / d;
  EXPECT_GE(protocol::to_seconds(*l->completion), expected);
  EXPECT_LE(protocol::to_seconds(*l->completion), 1.1 * expected);
}

TEST(link_model, one_block_takes_its_bottleneck_transmission_time_plus_latency) {
  // A 16 KiB block from an uplink of 1 MB/s to a downlink of 4 MB/s, 20 ms away.
  const std::uint64_t bytes = 16384;
  const protocol::time_point t0{};
  downlink down{4e6, {}};
  const auto end = t0 + transmit_time(bytes, 1e6);
  const auto at = down.receive(bytes, t0, end, 20ms);
  EXPECT_EQ(at, t0 + 20ms + transmit_time(bytes, 1e6));
  // The other way round, the downlink is the bottleneck.
  downlink slow{1e6, {}};
  const auto at2 = slow.receive(bytes, t0, t0 + transmit_time(bytes, 4e6), 20ms);
  EXPECT_EQ(at2, t0 + 20ms + transmit_time(bytes, 1e6));
}

TEST(link_model, downlink_queues_blocks_from_several_senders) {
  const std::uint64_t bytes = 10000;
  downlink down{1e6, {}};  // 10 ms per block
  const protocol::time_point t0{};
  const auto fast_end = t0 + transmit_time(bytes, 1e9);
  const auto a = down.receive(bytes, t0, fast_end, 0ms);
  const auto b = down.receive(bytes, t0, fast_end, 0ms);
  EXPECT_EQ(a, t0 + 10ms);
  EXPECT_EQ(b, t0 + 20ms);
}

TEST(swarm, a_piece_nobody_holds_is_an_error) {
  scenario s;
  s.torrent.size = 1 << 20;
  s.groups = {leechers(3, mbit, mbit)};
  EXPECT_THROW(swarm{s}, scenario_error);
}

TEST(swarm, partitioned_content_without_a_seed_still_completes) {
  scenario s;
  s.torrent.size = 4 << 20;
  auto g = leechers(8, 4 * mbit, 8 * mbit);
  g.content.kind = content_kind::partition;
  s.groups = {g};
  const auto r = swarm(s).run();
  for (const auto& p : r.peers)
    EXPECT_TRUE(p.completion) << "peer " << p.id.value();
}

TEST(swarm, leechers_that_leave_on_completion_depart_and_stop_counting) {
  auto s = flash_crowd(6, 2 << 20, 8 * mbit, 2 * mbit, 8 * mbit);
  s.groups[1].after_completion.kind = after_completion_kind::leave;
  const auto r = swarm(s).run();
  for (const auto& p : r.peers) {
    if (p.role != peer_role::leecher) continue;
    ASSERT_TRUE(p.completion);
    ASSERT_TRUE(p.departure);
    EXPECT_EQ(*p.departure, *p.completion);
  }
  EXPECT_EQ(r.samples.back().leechers, 0u);
}

TEST(swarm, a_seed_that_leaves_early_leaves_leechers_incomplete_at_the_time_limit) {
  auto s = flash_crowd(4, 8 << 20, 2 * mbit, 1 * mbit, 8 * mbit);
  s.groups[0].leave_at = 2s;  // far too early to upload a whole copy
  s.simulation.time_limit = 120s;
  const auto r = swarm(s).run();
  const auto* seed = find_group(r, "seeds");
  ASSERT_TRUE(seed->departure);
  EXPECT_EQ(*seed->departure, 2s);
  for (const auto& p : r.peers) {
    if (p.role == peer_role::leecher) {
      EXPECT_FALSE(p.completion);
    }
  }
  EXPECT_EQ(r.info.simulated_end, 120s);
}

}  // namespace
}  // namespace swarmsim::sim
