#include "sim/engine/swarm.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sim/engine/link_model.hpp"
#include "sim/results/output.hpp"

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
    g.peer.max_connections = 4;
    g.peer.max_initiate = 3;
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
  s.groups[1].peer.choker.rechoke_interval = 2s;
  s.groups[1].peer.choker.optimistic_interval = 4s;
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
  s.groups[0].peer.choker.upload_slots = 8;
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
  s.groups[0].peer.choker.upload_slots = k;
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

// Mean of the samples' peer availability, over the samples that have one.
double mean_peer_availability(const run_result& r) {
  double sum = 0;
  int n = 0;
  for (const auto& x : r.samples)
    if (!std::isnan(x.peer_availability)) {
      sum += x.peer_availability;
      ++n;
    }
  return n ? sum / n : std::nan("");
}

TEST(swarm, rarest_first_keeps_neighbours_more_interesting_than_sequential) {
  // Legout et al. (IMC 2006): with rarest-first a leecher is interested in most
  // of its neighbours; with sequential, only in those ahead of it.
  auto s = flash_crowd(100, 32 << 20, 10 * mbit, 2 * mbit, 10 * mbit);
  s.groups[1].arrival.kind = arrival_kind::uniform;
  s.groups[1].arrival.window = 60s;
  s.groups[1].after_completion.kind = after_completion_kind::leave;
  const double rarest = mean_peer_availability(swarm(s).run());
  s.groups[1].peer.picker.policy = {&protocol::sequential_picker_info(), {}};
  const double sequential = mean_peer_availability(swarm(s).run());
  EXPECT_GT(rarest, 0.6) << "sequential " << sequential;
  EXPECT_LT(sequential, rarest - 0.2) << "rarest-first " << rarest;
}

TEST(swarm, leechers_stuck_among_each_other_find_the_seed_again) {
  // Small connection tables, and leechers that leave on completion: the last
  // pieces end up at the seed alone, whose first remotes have left, while the
  // remaining leechers' tables are full of each other. Turnover (idle
  // connections closed or replaced, the seed connecting out) must bring them
  // together.
  auto s = flash_crowd(120, 2 << 20, 4 * mbit, 1 * mbit, 4 * mbit);
  s.groups[1].after_completion.kind = after_completion_kind::leave;
  for (auto& g : s.groups) {
    g.peer.max_connections = 8;
    g.peer.max_initiate = 6;
  }
  s.simulation.time_limit = 2h;
  const auto r = swarm(s).run();
  for (const auto& p : r.peers)
    if (p.role == peer_role::leecher) {
      EXPECT_TRUE(p.completion) << "peer " << p.id.value();
    }
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

namespace swarmsim::sim {
namespace {

std::string free_rider_yaml(const std::string& cap) {
  return "torrent: {size: 4MiB}\n"
         "network: {local_latency: 5ms}\n"
         "groups:\n"
         "  - {name: seed, role: seed, upload: 4Mbit/s}\n"
         "  - {name: fair, count: 16, upload: 2Mbit/s, download: 8Mbit/s}\n"
         "  - {name: free, count: 4, upload: 2Mbit/s, download: 8Mbit/s, upload_cap: " +
         cap + "}\n";
}

double median_download(const run_result& r, std::string_view group) {
  std::vector<double> t;
  for (const auto& p : r.peers)
    if (p.group == group && p.completion) t.push_back(protocol::to_seconds(*p.download_time()));
  std::sort(t.begin(), t.end());
  return t.empty() ? 0 : t[t.size() / 2];
}

TEST(swarm, free_riders_upload_nothing_and_are_slowed_but_not_starved) {
  const auto r = swarm(parse_scenario(free_rider_yaml("0"), "test.yaml")).run();
  int free_done = 0;
  for (const auto& p : r.peers) {
    if (p.group != "free") continue;
    EXPECT_EQ(p.bytes_uploaded, 0u) << "peer " << p.id.value();
    EXPECT_EQ(p.upload_capacity, 0.0);
    free_done += p.completion.has_value();
  }
  EXPECT_EQ(free_done, 4);  // optimistic unchokes and seeds still feed them
  EXPECT_GT(median_download(r, "free"), median_download(r, "fair"));
  EXPECT_EQ(r.blocks_sent_while_choking, 0u);
}

TEST(swarm, an_upload_cap_limits_what_a_peer_uploads) {
  const auto r = swarm(parse_scenario(free_rider_yaml("200kbit/s"), "test.yaml")).run();
  for (const auto& p : r.peers) {
    if (p.group != "free") continue;
    ASSERT_TRUE(p.departure || p.completion);
    EXPECT_GT(p.bytes_uploaded, 0u);
    const double alive = protocol::to_seconds(r.info.simulated_end - p.arrival);
    EXPECT_LE(static_cast<double>(p.bytes_uploaded), 200e3 / 8 * alive * 1.001);
  }
}

TEST(swarm, a_super_seeding_seed_puts_out_a_full_copy_uploading_about_one_copy) {
  // BEP 16: each piece goes out once until other peers hold it, so the first
  // full copy among the leechers costs the seed about 100 % of the file (a
  // normal seed sends popular pieces several times first).
  const auto seed_upload_for_first_copy = [](bool super) {
    auto s = parse_scenario(
        "torrent: {size: 4MiB}\n"
        "network: {local_latency: 5ms}\n"
        "groups:\n"
        "  - {name: seed, role: seed, upload: 8Mbit/s}\n"
        "  - {name: leechers, count: 12, upload: 2Mbit/s, download: 8Mbit/s}\n"
        "simulation: {sample_interval: 100ms}\n",
        "test.yaml");
    s.groups[0].peer.choker.super_seeding = super;
    const auto r = swarm(s).run();
    for (const auto& p : r.peers) {
      if (p.role == peer_role::leecher) {
        EXPECT_TRUE(p.completion) << "super " << super;
      }
    }
    EXPECT_EQ(r.protocol_errors, 0u);
    // No leecher completes before the first copy exists, so until then every
    // seed upload is the initial seed's.
    double bytes = 0, before = 0;
    for (const auto& x : r.samples) {
      const double t = protocol::to_seconds(x.time);
      bytes += x.seed_upload_rate * (t - before);
      before = t;
      if (x.pieces_only_at_seeds == 0) break;
    }
    return bytes / (4 << 20);
  };
  const double normal = seed_upload_for_first_copy(false);
  const double super = seed_upload_for_first_copy(true);
  EXPECT_GE(super, 0.99);
  EXPECT_LE(super, 1.1);
  EXPECT_GT(normal, 1.5 * super);
}

// send_have (protocol::have_to): over two sites every HAVE is its own delivery,
// so `lacking`, which skips remotes that already have the piece (the seed among
// them), delivers fewer messages; both complete every leecher.
TEST(swarm, send_have_lacking_skips_remotes_that_have_the_piece) {
  const auto run_with = [](protocol::have_to rule) {
    scenario s = flash_crowd(12, 4 * 1024 * 1024, 8 * mbit, 2 * mbit, 10 * mbit);
    s.network.sites = {site_spec{"a"}, site_spec{"b"}};
    s.network.links = {link_spec{"a", "b", 20ms}};
    s.groups[0].site = "a";
    s.groups[1].site = "b";
    for (auto& g : s.groups)
      g.peer.send_have = rule;
    return swarm(s).run();
  };
  const run_result all = run_with(protocol::have_to::all);
  const run_result lacking = run_with(protocol::have_to::lacking);
  for (const run_result* r : {&all, &lacking}) {
    for (const auto& p : r->peers) {
      if (p.role == peer_role::leecher) {
        EXPECT_TRUE(p.completion.has_value());
      }
    }
  }
  EXPECT_LT(lacking.info.events, all.info.events);
}

}  // namespace
}  // namespace swarmsim::sim
