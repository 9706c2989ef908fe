// protocol::peer around a plug-in neighbour strategy (neighbour_strategy.hpp):
// its limits bound the connections and the announces, it chooses which idle
// connection makes room for a newcomer, and an answer that breaks the contract
// stops the peer with an error naming the strategy.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <variant>

#include "peer_pipe.hpp"
#include "protocol/neighbour_strategy.hpp"
#include "protocol/peer.hpp"
#include "protocol/strategy_registry.hpp"

namespace swarmsim::protocol {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

enum class answer { mainline, refuse, out_of_range, announce_too_often, no_connections };
answer current = answer::mainline;  // read by the factory

class scripted final : public neighbour_strategy {
 public:
  scripted(answer a, const neighbour_options& o) : a_(a), limits_(o) {
    if (a_ == answer::no_connections) limits_.max_connections = 0;
  }
  neighbour_limits limits() const override { return limits_; }
  std::optional<std::size_t> drop_for_incoming(std::span<const drop_candidate> droppable,
                                               time_point) const override {
    if (a_ == answer::refuse) return std::nullopt;
    if (a_ == answer::out_of_range) return droppable.size();
    return idlest(droppable);
  }
  duration announce_interval(duration tracker, duration) const override {
    return a_ == answer::announce_too_often ? seconds(1) : tracker;
  }

 private:
  answer a_;
  neighbour_limits limits_;
};

const strategy_info& scripted_info() {
  static const strategy_info info = [] {
    strategy_info i;
    i.kind = strategy_kind::neighbours;
    i.name = "scripted";
    i.summary = "for tests";
    i.source = "here";
    i.make_neighbours = [](const neighbour_options& o,
                           const strategy_params&) -> std::unique_ptr<neighbour_strategy> {
      return std::make_unique<scripted>(current, o);
    };
    return i;
  }();
  return info;
}

peer_options options_with(answer a) {
  current = a;
  peer_options o;
  o.neighbours = {&scripted_info(), {}};
  o.max_connections = 1;
  return o;
}

// Peer 0 holds one connection (from peer 1) on which neither side is
// interested, open for longer than a rechoke interval; max_connections 1.
testing::peer_pipe full_peer(answer a) {
  testing::peer_pipe pipe(torrent_geometry(8 * 16384, 16384, 16384), options_with(a));
  pipe.add_peer(false);
  pipe.add_peer(false);
  pipe.connect(1, 0);
  for (int i = 0; i < 5; ++i)
    pipe.step();
  pipe.advance(seconds(11));
  return pipe;
}

TEST(neighbour_strategy, it_chooses_which_idle_connection_makes_room) {
  auto mainline = full_peer(answer::mainline);
  EXPECT_EQ(mainline[0].num_connections(), 1u);
  EXPECT_TRUE(mainline[0].can_accept(mainline.now()));
  auto refusing = full_peer(answer::refuse);
  EXPECT_FALSE(refusing[0].can_accept(refusing.now()));
  EXPECT_FALSE(refusing[0].on_connected(endpoint{77, 1}, false, refusing.now()));
  EXPECT_EQ(refusing[0].num_connections(), 1u);
}

TEST(neighbour_strategy, an_answer_that_breaks_the_contract_stops_the_peer_naming_it) {
  auto pipe = full_peer(answer::out_of_range);
  try {
    (void)pipe[0].can_accept(pipe.now());
    ADD_FAILURE() << "no error";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("neighbour strategy 'scripted' chose connection 1 of 1"));
  }
  const torrent_geometry g(8 * 16384, 16384, 16384);
  peer too_often(g, sha1_hash{}, wire_peer_id{}, endpoint{1, 1},
                 options_with(answer::announce_too_often), 1);
  try {
    too_often.start(time_point{});
    ADD_FAILURE() << "no error";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("'scripted' asked to announce 1 s apart"));
  }
  EXPECT_THROW(
      peer(g, sha1_hash{}, wire_peer_id{}, endpoint{1, 1}, options_with(answer::no_connections), 1),
      std::logic_error);
  current = answer::mainline;
}

TEST(neighbour_strategy, mainline_takes_the_groups_options) {
  peer_options o;
  o.max_connections = 80;
  o.max_initiate = 30;
  o.min_peers = 10;
  o.numwant = 120;
  EXPECT_EQ(o.neighbours.name(), "mainline");
  peer p(torrent_geometry(8 * 16384, 16384, 16384), sha1_hash{}, wire_peer_id{}, endpoint{1, 1}, o,
         1);
  EXPECT_EQ(p.limits(), (neighbour_limits{80, 30, 10, 120}));
  p.start(time_point{});
  std::vector<peer_action> actions;
  p.drain_actions(actions);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(std::get<action::announce>(actions[0]).numwant, 120u);
}

TEST(neighbour_strategy, the_builtin_policy_is_registered_under_its_kind) {
  const strategy_registry r = builtin_strategies();
  EXPECT_EQ(r.names(strategy_kind::neighbours), (std::vector<std::string_view>{"mainline"}));
  EXPECT_NE(r.find(strategy_kind::neighbours, "mainline"),
            r.find(strategy_kind::choker, "mainline"));
}

}  // namespace
}  // namespace swarmsim::protocol
