// The simulated uplink follows an upload strategy that orders blocks
// (protocol/upload_strategy.hpp rule 6; sim/engine/link_model.hpp rule 1).

#include <gtest/gtest.h>

#include <algorithm>

#include "protocol/upload_strategy.hpp"
#include "sim/engine/swarm.hpp"

namespace swarmsim::sim {
namespace {

using namespace std::chrono_literals;
using namespace protocol;

constexpr double mbit = 1e6 / 8;

// Unchokes every interested remote and always serves the lowest connection
// id that has a request waiting: one remote at a time, to completion.
class one_at_a_time final : public upload_strategy {
 public:
  void start(time_point now) override { next_ = now + 10s; }
  time_point next_deadline() const override { return next_; }
  std::uint32_t upload_slots() const override { return 50; }
  const std::vector<connection_id>& rechoke(std::span<const choke_candidate> c, bool,
                                            time_point now, rng&) override {
    next_ = now + 10s;
    return choose(c);
  }
  const std::vector<connection_id>& reselect(std::span<const choke_candidate> c, bool, time_point,
                                             rng&) override {
    return choose(c);
  }
  bool orders_blocks() const override { return true; }
  std::size_t next_to_serve(std::span<const serve_candidate> ready, time_point) override {
    return static_cast<std::size_t>(
        std::min_element(ready.begin(), ready.end(),
                         [](const auto& a, const auto& b) { return a.conn < b.conn; }) -
        ready.begin());
  }

 private:
  const std::vector<connection_id>& choose(std::span<const choke_candidate> c) {
    out_.clear();
    for (const auto& k : c)
      if (k.peer_interested) out_.push_back(k.conn);
    return out_;
  }
  time_point next_ = never;
  std::vector<connection_id> out_;
};

const strategy_info& one_at_a_time_info() {
  static const strategy_info info{
      strategy_kind::choker,
      "one_at_a_time",
      "for tests",
      "here",
      {},
      [](const choker_options&, const strategy_params&) -> std::unique_ptr<upload_strategy> {
        return std::make_unique<one_at_a_time>();
      }};
  return info;
}

// One seed, k leechers that barely upload. Round robin gives each about U/k,
// so all finish together near k x size / U; served one at a time, the i-th
// finishes near i x size / U.
std::vector<double> completions(const strategy_info* seed_choker) {
  const std::uint32_t k = 4;
  scenario s;
  s.name = "order";
  s.torrent.size = 4 << 20;
  s.torrent.piece_size = 256 * 1024;
  group_spec seed;
  seed.name = "seed";
  seed.count = 1;
  seed.content.kind = content_kind::all;
  seed.upload = seed.download = 8 * mbit;
  if (seed_choker) seed.peer.choker.policy = {seed_choker, {}};
  group_spec leech;
  leech.name = "leechers";
  leech.count = k;
  leech.upload = 1000;
  leech.download = 100 * mbit;
  leech.arrival.start = 0s;
  s.groups = {seed, leech};
  s.network.local_latency = 5ms;
  s.tracker.latency = 5ms;
  swarm sw(s);
  std::vector<double> out;
  for (const auto& p : sw.run().peers)
    if (p.role == peer_role::leecher && p.completion) out.push_back(to_seconds(*p.completion));
  std::sort(out.begin(), out.end());
  return out;
}

TEST(block_order, the_uplink_serves_in_the_order_the_strategy_chooses) {
  const double one = static_cast<double>(4 << 20) / (8 * mbit);  // one leecher's worth
  const auto ordered = completions(&one_at_a_time_info());
  ASSERT_EQ(ordered.size(), 4u);
  for (std::size_t i = 0; i < ordered.size(); ++i)
    EXPECT_NEAR(ordered[i], one * static_cast<double>(i + 1), 0.15 * one) << i;
  const auto turns = completions(nullptr);  // mainline: round robin
  ASSERT_EQ(turns.size(), 4u);
  EXPECT_GT(turns.front(), 3 * one);
}

}  // namespace
}  // namespace swarmsim::sim
