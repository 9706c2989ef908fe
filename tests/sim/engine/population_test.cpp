// Heterogeneous groups: bandwidth classes, sites by share, upload caps.
#include "sim/engine/population.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "sim/engine/swarm.hpp"

namespace swarmsim::sim {
namespace {

using testing::HasSubstr;

constexpr double kbit = 1e3 / 8;

// Bharambe et al. (INFOCOM 2006): down/up kbit/s at 20/40/25/15 %.
constexpr const char* bharambe_classes =
    "    classes:\n"
    "      - {name: dsl, share: 0.2, download: 784kbit, upload: 128kbit}\n"
    "      - {name: cable, share: 0.4, download: 1500kbit, upload: 384kbit}\n"
    "      - {name: fast, share: 0.25, download: 3000kbit, upload: 1000kbit}\n"
    "      - {name: lan, share: 0.15, download: 10000kbit, upload: 5000kbit}\n";

std::string yaml_with(std::uint32_t count, const std::string& extra,
                      const std::string& network = "") {
  return "torrent: {size: 1MiB}\n" + network +
         "groups:\n"
         "  - {name: seed, role: seed, upload: 6000kbit}\n"
         "  - name: leechers\n"
         "    count: " +
         std::to_string(count) + "\n" + extra;
}

std::vector<planned_peer> plan(const scenario& s) {
  const protocol::torrent_geometry geo(s.torrent.size, s.torrent.piece_size, s.torrent.block_size);
  return plan_peers(s, topology::build(s.network), geo);
}

std::string error_of(const std::string& yaml) {
  try {
    parse_scenario(yaml, "test.yaml");
  } catch (const scenario_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(allocate_by_share, largest_remainder_gives_exact_counts) {
  const std::vector<double> bharambe{0.2, 0.4, 0.25, 0.15};
  EXPECT_EQ(allocate_by_share(bharambe, 100), (std::vector<std::uint32_t>{20, 40, 25, 15}));
  // 10 peers: 2, 4, 2.5, 1.5 -> the halves go to the earlier entry first.
  EXPECT_EQ(allocate_by_share(bharambe, 10), (std::vector<std::uint32_t>{2, 4, 3, 1}));
  const std::vector<double> thirds{1.0 / 3, 1.0 / 3, 1.0 / 3};
  EXPECT_EQ(allocate_by_share(thirds, 2), (std::vector<std::uint32_t>{1, 1, 0}));
  EXPECT_EQ(allocate_by_share(thirds, 0), (std::vector<std::uint32_t>{0, 0, 0}));
}

TEST(bandwidth_classes, peers_get_the_class_mix_and_the_class_in_their_group_name) {
  const auto s = parse_scenario(yaml_with(100, bharambe_classes), "test.yaml");
  ASSERT_EQ(s.groups[1].classes.size(), 4u);
  EXPECT_EQ(parse_scenario(save_scenario(s), "saved.yaml"), s);
  std::map<std::string, int> by_name;
  std::map<double, int> by_upload;
  for (const auto& p : plan(s)) {
    if (p.initial_seed) continue;
    ++by_name[p.record.group];
    ++by_upload[p.upload];
  }
  EXPECT_EQ(by_name["leechers/dsl"], 20);
  EXPECT_EQ(by_name["leechers/cable"], 40);
  EXPECT_EQ(by_name["leechers/fast"], 25);
  EXPECT_EQ(by_name["leechers/lan"], 15);
  EXPECT_EQ(by_upload[128 * kbit], 20);
  EXPECT_EQ(by_upload[5000 * kbit], 15);
}

TEST(bandwidth_classes, assignment_is_shuffled_and_follows_the_seed) {
  auto s = parse_scenario(yaml_with(40, bharambe_classes), "test.yaml");
  const auto uploads = [&] {
    std::vector<double> out;
    for (const auto& p : plan(s))
      out.push_back(p.upload);
    return out;
  };
  const auto a = uploads();
  EXPECT_EQ(a, uploads());
  EXPECT_FALSE(std::is_sorted(a.begin() + 1, a.end()));  // not in class order
  s.simulation.seed = 2;
  EXPECT_NE(a, uploads());
}

TEST(bandwidth_classes, shares_must_add_up_to_one) {
  EXPECT_THAT(error_of(yaml_with(10,
                                 "    classes:\n"
                                 "      - {share: 0.5, download: 1Mbit, upload: 1Mbit}\n"
                                 "      - {share: 0.4, download: 1Mbit, upload: 1Mbit}\n")),
              HasSubstr("the shares add up to 0.9, not 1"));
  EXPECT_THAT(error_of(yaml_with(10, "    classes:\n      - {share: 1, upload: 1Mbit}\n")),
              HasSubstr("needs 'share', 'upload' and 'download'"));
}

TEST(bandwidth_classes, a_heterogeneous_flash_crowd_completes_and_t_min_uses_the_classes) {
  auto s = parse_scenario(yaml_with(20, bharambe_classes), "test.yaml");
  s.torrent.size = 512 * 1024;
  swarm sw(s);
  const auto t_min = sw.t_min();
  ASSERT_TRUE(t_min);
  // The slowest class downloads at 784 kbit/s: F / d_min binds.
  EXPECT_NEAR(protocol::to_seconds(*t_min), 512.0 * 1024 / (784 * kbit), 1e-6);
  const auto r = sw.run();
  duration all_done{};
  for (const auto& p : r.peers) {
    if (p.role != peer_role::leecher) continue;
    ASSERT_TRUE(p.completion) << p.group;
    // Nobody beats its own downlink.
    EXPECT_GE(protocol::to_seconds(*p.completion), 512.0 * 1024 / p.download_capacity);
    all_done = std::max(all_done, *p.completion);
  }
  EXPECT_GE(all_done, *t_min);
}

TEST(site_shares, peers_are_placed_on_sites_by_share) {
  const std::string network =
      "network:\n"
      "  sites: [eu, us, asia]\n"
      "  links: [{a: eu, b: us, latency: 40ms}, {a: us, b: asia, latency: 60ms}]\n";
  const auto s =
      parse_scenario(yaml_with(50, "    sites: {eu: 0.5, us: 0.3, asia: 0.2}\n", network) +
                         "defaults: {site: eu}\n",
                     "test.yaml");
  EXPECT_EQ(parse_scenario(save_scenario(s), "saved.yaml"), s);
  std::map<std::string, int> count;
  for (const auto& p : plan(s))
    if (!p.initial_seed) ++count[p.record.site];
  EXPECT_EQ(count["eu"], 25);
  EXPECT_EQ(count["us"], 15);
  EXPECT_EQ(count["asia"], 10);

  // And a three-region swarm runs to completion over the routed latencies.
  auto small = s;
  small.groups[1].count = 12;
  const auto r = swarm(small).run();
  for (const auto& p : r.peers)
    if (p.role == peer_role::leecher) {
      EXPECT_TRUE(p.completion);
    }
  EXPECT_EQ(r.protocol_errors, 0u);
}

TEST(site_shares, unknown_sites_and_site_with_sites_are_refused) {
  const std::string network =
      "defaults: {site: eu}\n"
      "network: {sites: [eu, us], links: [{a: eu, b: us, latency: 1ms}]}\n";
  EXPECT_THAT(error_of(yaml_with(5, "    sites: {eu: 0.5, mars: 0.5}\n", network)),
              HasSubstr("unknown site 'mars'"));
  EXPECT_THAT(error_of(yaml_with(5, "    site: eu\n    sites: {eu: 0.5, us: 0.5}\n", network)),
              HasSubstr("give either 'site' or 'sites'"));
}

TEST(upload_cap, caps_the_payload_upload_and_zero_makes_a_free_rider) {
  const auto s =
      parse_scenario(yaml_with(3, "    upload: 10Mbit\n    upload_cap: 1Mbit\n"), "test.yaml");
  ASSERT_TRUE(s.groups[1].upload_cap);
  EXPECT_EQ(*s.groups[1].upload_cap, 1e6 / 8);
  EXPECT_EQ(plan(s)[1].upload, 1e6 / 8);
  EXPECT_EQ(parse_scenario(save_scenario(s), "saved.yaml"), s);
  const auto f = parse_scenario(yaml_with(3, "    upload_cap: 0\n"), "test.yaml");
  EXPECT_EQ(plan(f)[1].upload, 0.0);
  EXPECT_EQ(parse_scenario(save_scenario(f), "saved.yaml"), f);
}

}  // namespace
}  // namespace swarmsim::sim
