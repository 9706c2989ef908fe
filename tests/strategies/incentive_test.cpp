// The incentive strategies (BitTyrant, PropShare, FairTorrent) against the
// rules their headers state, block by block on a simulated uplink.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "protocol/choker.hpp"
#include "protocol/upload_strategy.hpp"
#include "strategies/bittyrant/bittyrant.hpp"
#include "strategies/common/proportional_uplink.hpp"
#include "strategies/fairtorrent/fairtorrent.hpp"
#include "strategies/propshare/propshare.hpp"

namespace swarmsim::strategies {
namespace {

using namespace protocol;
using std::chrono::seconds;

std::unique_ptr<upload_strategy> make(const strategy_info& info, strategy_params given = {},
                                      choker_options options = {}) {
  const auto r = resolve(info, given);
  EXPECT_TRUE(r.params) << r.error;
  return info.make_upload(options, *r.params);
}

choke_candidate candidate(std::uint32_t id, double rate = 0) {
  choke_candidate c;
  c.conn = connection_id{id};
  c.peer_interested = true;
  c.download_rate = rate;
  return c;
}

std::vector<connection_id> ids(std::initializer_list<std::uint32_t> v) {
  std::vector<connection_id> out;
  for (auto x : v)
    out.push_back(connection_id{x});
  return out;
}

// Serves `blocks` blocks of 16 KiB through next_to_serve() with every
// connection of `ready` always waiting; returns the bytes each was sent.
std::map<std::uint32_t, std::uint64_t> serve(upload_strategy& s, std::vector<serve_candidate> ready,
                                             int blocks) {
  std::map<std::uint32_t, std::uint64_t> sent;
  for (int i = 0; i < blocks; ++i) {
    const std::size_t k = s.next_to_serve(ready, time_origin);
    EXPECT_LT(k, ready.size());
    ready[k].bytes_sent += 16384;
    sent[ready[k].conn.value()] += 16384;
  }
  return sent;
}

TEST(proportional_uplink, splits_blocks_by_weight_and_serves_shareless_ones_last) {
  proportional_uplink u;
  u.set(connection_id{1}, 3, 1000);  // already sent 1000 bytes before the round
  u.set(connection_id{2}, 1, 0);
  u.set(connection_id{3}, 0, 0);  // no share
  std::vector<serve_candidate> ready{
      {connection_id{1}, 0, 1000}, {connection_id{2}, 0, 0}, {connection_id{3}, 0, 0}};
  std::map<std::uint32_t, int> blocks;
  for (int i = 0; i < 400; ++i) {
    const std::size_t k = u.choose(ready);
    ready[k].bytes_sent += 100;
    ++blocks[ready[k].conn.value()];
  }
  EXPECT_EQ(blocks[1], 300);
  EXPECT_EQ(blocks[2], 100);
  EXPECT_EQ(blocks[3], 0);
  EXPECT_EQ(u.choose(std::vector<serve_candidate>{{connection_id{3}, 0, 0}}), 0u);
}

TEST(fairtorrent, each_block_goes_to_the_largest_deficit) {
  auto s = make(fairtorrent_info());
  EXPECT_TRUE(s->orders_blocks());
  // Remote 1 sent us 64 KiB, remote 2 nothing, remote 3 was sent 32 KiB unreturned.
  std::vector<serve_candidate> ready{
      {connection_id{1}, 65536, 0}, {connection_id{2}, 0, 0}, {connection_id{3}, 0, 32768}};
  EXPECT_EQ(s->next_to_serve(ready, time_origin), 0u);
  // 4 blocks repay remote 1; then it and the newcomer alternate (ties by id),
  // and remote 3 waits until both owe as much as it does: its turn is the 11th.
  const auto sent = serve(*s, ready, 11);
  EXPECT_EQ(sent.at(1), 7u * 16384);
  EXPECT_EQ(sent.at(2), 3u * 16384);
  EXPECT_EQ(sent.at(3), 1u * 16384);
  EXPECT_EQ(serve(*s, ready, 10).count(3), 0u);
}

TEST(fairtorrent, unchokes_every_interested_remote_up_to_its_slots_largest_deficit_first) {
  strategy_params p;
  p.set("slots", std::uint64_t{2});
  auto s = make(fairtorrent_info(), p);
  rng random(1);
  s->start(time_origin);
  std::vector<choke_candidate> c{candidate(1), candidate(2), candidate(3), candidate(4)};
  c[0].bytes_received = 100;
  c[2].bytes_received = 500;
  c[3].peer_interested = false;
  c[3].bytes_received = 9000;
  EXPECT_EQ(s->rechoke(c, false, time_origin + seconds(10), random), ids({1, 3}));
  strategy_params wide;
  wide.set("slots", std::uint64_t{10});
  auto all = make(fairtorrent_info(), wide);
  all->start(time_origin);
  EXPECT_EQ(all->rechoke(c, false, time_origin + seconds(10), random), ids({1, 2, 3}));
}

TEST(propshare, splits_the_upload_in_proportion_to_what_each_remote_sent) {
  strategy_params p;
  p.set("optimistic_share", 0.2);
  auto s = make(propshare_info(), p);
  rng random(7);
  s->start(time_origin);
  // 1 and 2 sent us data at 3:1; 3 sent nothing: the optimistic unchoke.
  std::vector<choke_candidate> c{candidate(1, 30000), candidate(2, 10000), candidate(3)};
  EXPECT_EQ(s->rechoke(c, false, time_origin + seconds(10), random), ids({1, 2, 3}));
  EXPECT_TRUE(s->is_optimistic(connection_id{3}));
  EXPECT_FALSE(s->is_optimistic(connection_id{1}));
  const auto sent = serve(
      *s, {{connection_id{1}, 0, 0}, {connection_id{2}, 0, 0}, {connection_id{3}, 0, 0}}, 1000);
  // 80 % split 3:1, 20 % optimistic: 600, 200 and 200 blocks, to a block.
  EXPECT_NEAR(static_cast<double>(sent.at(1)) / 16384, 600, 1);
  EXPECT_NEAR(static_cast<double>(sent.at(2)) / 16384, 200, 1);
  EXPECT_NEAR(static_cast<double>(sent.at(3)) / 16384, 200, 1);
}

TEST(propshare, while_nobody_contributes_the_optimistic_unchokes_share_everything) {
  strategy_params p;
  p.set("optimistic_slots", std::uint64_t{2});
  auto s = make(propshare_info(), p);
  rng random(3);
  s->start(time_origin);
  std::vector<choke_candidate> c{candidate(1), candidate(2), candidate(3), candidate(4)};
  const auto& u = s->rechoke(c, false, time_origin + seconds(10), random);
  EXPECT_EQ(u.size(), 2u);
  EXPECT_TRUE(std::is_sorted(u.begin(), u.end()));
  EXPECT_EQ(s->optimistic_unchokes().size(), 2u);
  // A remote losing interest leaves the set at the next reselect, and its
  // optimistic slot goes to another interested remote at once.
  const connection_id gone = u.front();
  for (auto& k : c)
    if (k.conn == gone) k.peer_interested = false;
  const auto& after = s->reselect(c, false, time_origin + seconds(11), random);
  EXPECT_EQ(after.size(), 2u);
  EXPECT_EQ(std::count(after.begin(), after.end(), gone), 0);
  EXPECT_FALSE(s->is_optimistic(gone));
  EXPECT_EQ(s->optimistic_unchokes().size(), 2u);
}

choker_options with_capacity(double bytes_per_s) {
  choker_options o;
  o.upload_capacity = bytes_per_s;
  return o;
}

TEST(bittyrant, unchokes_by_return_on_offer_until_the_capacity_is_spent) {
  auto s = make(bittyrant_info(), {}, with_capacity(20000));  // offers start at 7000
  rng random(1);
  s->start(time_origin);
  std::vector<choke_candidate> c{candidate(1, 5000), candidate(2, 20000), candidate(3, 9000),
                                 candidate(4, 1000)};
  // Ranked 2, 3, 1, 4 by d/u; two offers of 7000 fit in 20000, three do not.
  EXPECT_EQ(s->rechoke(c, false, time_origin + seconds(10), random), ids({2, 3}));
  // The uplink is split by offer: equal offers, equal blocks.
  const auto sent = serve(
      *s, {{connection_id{2}, 0, 0}, {connection_id{3}, 0, 0}, {connection_id{1}, 0, 0}}, 100);
  EXPECT_EQ(sent.at(2), sent.at(3));
  EXPECT_EQ(sent.count(1), 0u);
}

TEST(bittyrant, trade_starts_before_the_first_round) {
  auto s = make(bittyrant_info(), {}, with_capacity(15000));
  rng random(1);
  s->start(time_origin);
  std::vector<choke_candidate> c{candidate(1), candidate(2), candidate(3)};
  c[1].remote_have_rate = 400000;  // a fast remote: the best estimated return
  const auto& u = s->reselect(c, false, time_origin + seconds(1), random);
  EXPECT_EQ(u.size(), 2u);  // two offers of 7000 fit in 15000
  EXPECT_TRUE(std::binary_search(u.begin(), u.end(), connection_id{2}));
}

TEST(bittyrant, raises_the_offer_to_a_remote_that_does_not_reciprocate) {
  strategy_params p;
  p.set("market_rate", 10000.0);
  auto s = make(bittyrant_info(), p, with_capacity(21000));
  rng random(1);
  s->start(time_origin);
  // Round 1: remote 1 and 2 unchoked at 10000 each.
  std::vector<choke_candidate> c{candidate(1, 0), candidate(2, 0)};
  c[0].remote_have_rate = 40000;  // estimated from its HAVEs: 40000 / 4 slots
  c[1].remote_have_rate = 40000;
  EXPECT_EQ(s->rechoke(c, false, time_origin + seconds(10), random), ids({1, 2}));
  // Round 2: 2 reciprocated, 1 did not: 1's offer becomes 12000, and 10000 +
  // 12000 no longer fit in 21000, so only the better deal (2, d/u = 1) stays.
  c[1].download_rate = 10000;
  EXPECT_EQ(s->rechoke(c, false, time_origin + seconds(20), random), ids({2}));
}

TEST(bittyrant, lowers_the_offer_after_sustained_reciprocation) {
  strategy_params p;
  p.set("market_rate", 10000.0);
  auto s = make(bittyrant_info(), p, with_capacity(19500));
  rng random(1);
  s->start(time_origin);
  std::vector<choke_candidate> c{candidate(1, 5000), candidate(2, 5000)};
  // 10000 + 10000 exceed 19500: one of them at first.
  EXPECT_EQ(s->rechoke(c, false, time_origin + seconds(10), random).size(), 1u);
  // Reciprocating since 10 s: at 40 s (30 s later) offers drop to 9000, and both fit.
  EXPECT_EQ(s->rechoke(c, false, time_origin + seconds(20), random).size(), 1u);
  EXPECT_EQ(s->rechoke(c, false, time_origin + seconds(30), random).size(), 1u);
  EXPECT_EQ(s->rechoke(c, false, time_origin + seconds(40), random), ids({1, 2}));
}

TEST(incentive_strategies, hand_over_to_the_mainline_seed_choker_as_a_seed) {
  for (const strategy_info* info : {&bittyrant_info(), &propshare_info(), &fairtorrent_info()}) {
    auto s = make(*info);
    choker mainline;
    rng a(5), b(5);
    s->start(time_origin);
    mainline.start(time_origin);
    std::vector<choke_candidate> c;
    for (std::uint32_t i = 1; i <= 9; ++i) {
      c.push_back(candidate(i));
      c.back().upload_rate = 1000.0 * i;
    }
    const auto t = time_origin + seconds(10);
    EXPECT_EQ(s->rechoke(c, true, t, a), mainline.rechoke(c, true, t, b)) << info->name;
    EXPECT_EQ(s->next_deadline(), mainline.next_deadline()) << info->name;
    EXPECT_EQ(s->optimistic_unchokes(), mainline.optimistic_unchokes()) << info->name;
    // The uplink then serves in the driver's turn.
    EXPECT_EQ(
        s->next_to_serve(
            std::vector<serve_candidate>{{connection_id{2}, 0, 9}, {connection_id{1}, 9, 0}}, t),
        0u)
        << info->name;
  }
}

}  // namespace
}  // namespace swarmsim::strategies
