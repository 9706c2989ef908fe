// The example choker against the contract of protocol/upload_strategy.hpp.

#include "strategies/strict_tft/strict_tft.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "protocol/choker.hpp"
#include "protocol/upload_strategy.hpp"

namespace swarmsim::strategies {
namespace {

using namespace protocol;
using std::chrono::seconds;

std::unique_ptr<upload_strategy> make(strategy_params given = {}) {
  const strategy_info& info = strict_tft_info();
  const auto r = resolve(info, given);
  EXPECT_TRUE(r.params) << r.error;
  return info.make_upload(choker_options{}, *r.params);
}

std::vector<choke_candidate> candidates(std::initializer_list<double> rates) {
  std::vector<choke_candidate> out;
  std::uint32_t id = 1;
  for (double r : rates) {
    choke_candidate c;
    c.conn = connection_id{id++};
    c.peer_interested = true;
    c.download_rate = r;
    out.push_back(c);
  }
  return out;
}

std::vector<connection_id> ids(std::initializer_list<std::uint32_t> v) {
  std::vector<connection_id> out;
  for (auto x : v)
    out.push_back(connection_id{x});
  return out;
}

TEST(strict_tft, unchokes_the_fastest_uploaders_above_the_floor_sorted_by_id) {
  strategy_params p;
  p.set("slots", std::uint64_t{2});
  auto s = make(p);
  rng random(1);
  s->start(time_origin);
  EXPECT_EQ(s->next_deadline(), time_origin + seconds(10));
  auto c = candidates({5000, 100, 9000, 3000, 8000});
  c[2].peer_interested = false;  // the fastest does not want anything
  EXPECT_EQ(s->rechoke(c, false, time_origin + seconds(10), random), ids({1, 5}));
  EXPECT_EQ(s->next_deadline(), time_origin + seconds(20));
  EXPECT_LE(s->upload_slots(), 2u + 2u);
}

TEST(strict_tft, while_nobody_reciprocates_it_unchokes_bootstrap_remotes_at_random) {
  auto s = make();                                 // bootstrap 2
  const auto c = candidates({0, 10, 0, 0, 0, 0});  // 10 B/s is below 1 KiB/s
  std::vector<std::vector<connection_id>> seen;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    rng random(seed);
    const auto& u = s->reselect(c, true, time_origin, random);
    ASSERT_EQ(u.size(), 2u);
    EXPECT_TRUE(std::is_sorted(u.begin(), u.end()));
    seen.push_back(u);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_GT(std::unique(seen.begin(), seen.end()) - seen.begin(), 3) << "always the same pair";
  rng a(3), b(3);
  auto twin = make();
  EXPECT_EQ(s->reselect(c, true, time_origin, a), twin->reselect(c, true, time_origin, b))
      << "the same generator must give the same choice";
}

TEST(strict_tft, never_unchokes_more_than_its_slots_or_an_uninterested_remote) {
  auto s = make();
  rng random(5);
  for (int round = 0; round < 50; ++round) {
    std::vector<choke_candidate> c;
    for (std::uint32_t i = 1; i <= 12; ++i) {
      choke_candidate x;
      x.conn = connection_id{i};
      x.peer_interested = (random() % 3) != 0;
      x.download_rate = static_cast<double>(random() % 4000);
      c.push_back(x);
    }
    const auto& u = s->rechoke(c, false, time_origin + seconds(round), random);
    EXPECT_LE(u.size(), s->upload_slots());
    for (connection_id id : u) {
      const auto it = std::find_if(c.begin(), c.end(), [&](auto& x) { return x.conn == id; });
      ASSERT_NE(it, c.end());
      EXPECT_TRUE(it->peer_interested);
    }
  }
}

}  // namespace
}  // namespace swarmsim::strategies
