// strategies/large_view: the large-view exploit's neighbour policy.

#include "strategies/large_view/large_view.hpp"

#include <gtest/gtest.h>

#include <variant>
#include <vector>

#include "protocol/neighbour_strategy.hpp"
#include "protocol/peer.hpp"

namespace swarmsim::protocol {
namespace {

using std::chrono::seconds;

TEST(large_view, large_view_opens_a_large_view_and_announces_often) {
  const strategy_info& info = strategies::large_view_info();
  strategy_params given;
  given.set("connections", std::uint64_t{400});
  peer_options o;
  o.neighbours = {&info, *resolve(info, given).params};
  peer p(torrent_geometry(8 * 16384, 16384, 16384), sha1_hash{}, wire_peer_id{}, endpoint{1, 1}, o,
         1);
  EXPECT_EQ(p.limits(), (neighbour_limits{400, 250, 400, 200}));
  p.start(time_point{});
  std::vector<peer_action> actions;
  p.drain_actions(actions);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(std::get<action::announce>(actions[0]).numwant, 200u);

  const auto n = info.make_neighbours(neighbour_options{}, *resolve(info, {}).params);
  EXPECT_EQ(n->announce_interval(seconds(1800), seconds(30)), seconds(60));
  EXPECT_EQ(n->announce_interval(seconds(1800), seconds(120)), seconds(120));  // min interval
  EXPECT_EQ(n->announce_interval(seconds(40), seconds(30)), seconds(40));      // the tracker's
}

}  // namespace
}  // namespace swarmsim::protocol
