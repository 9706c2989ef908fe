// The network model's closed-form cases (sim/engine/link_model.hpp): transmit
// times, the uplink's round robin, the downlink's FIFO, and how they combine
// with the latency into a block's delivery time.

#include "sim/engine/link_model.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <vector>

namespace swarmsim::sim {
namespace {

using namespace std::chrono_literals;
using protocol::connection_id;

constexpr std::uint64_t block = 16384 + 13;  // a PIECE message of one 16 KiB block
constexpr time_point t0 = protocol::time_origin + 5s;

duration ns(double seconds) {
  return duration{static_cast<std::int64_t>(std::ceil(seconds * 1e9))};
}

TEST(link_model, transmit_time_is_bytes_over_rate_rounded_up_to_a_nanosecond) {
  EXPECT_EQ(transmit_time(1000, 1000.0), 1s);
  EXPECT_EQ(transmit_time(1, 3.0), duration{333'333'334});
  EXPECT_EQ(transmit_time(block, 1e6), ns(block / 1e6));
}

TEST(link_model, a_block_into_an_idle_faster_downlink_arrives_when_its_last_byte_does) {
  const double up = 1e6;
  downlink down{10e6, {}};
  const time_point end = t0 + transmit_time(block, up);
  EXPECT_EQ(down.receive(block, t0, end, 20ms), end + 20ms);
}

TEST(link_model, a_slower_downlink_delivers_at_its_own_rate_from_the_first_byte) {
  downlink down{0.5e6, {}};
  const time_point end = t0 + transmit_time(block, 1e6);
  EXPECT_EQ(down.receive(block, t0, end, 20ms), t0 + 20ms + transmit_time(block, 0.5e6));
}

TEST(link_model, blocks_that_meet_at_a_downlink_are_served_one_after_the_other) {
  // Two senders of 1 MB/s start at once towards a 1 MB/s downlink: the second
  // block waits for the first, so the pair takes twice one block's time.
  downlink down{1e6, {}};
  const time_point end = t0 + transmit_time(block, 1e6);
  const time_point first = down.receive(block, t0, end, 10ms);
  const time_point second = down.receive(block, t0, end, 10ms);
  EXPECT_EQ(first, t0 + 10ms + transmit_time(block, 1e6));
  EXPECT_EQ(second, first + transmit_time(block, 1e6));
}

TEST(link_model, an_idle_downlink_saves_no_capacity_for_later) {
  downlink down{1e6, {}};
  const duration one = transmit_time(block, 1e6);
  down.receive(block, t0, t0 + one, 0s);
  // Long after: the downlink starts afresh at the block's first byte.
  const time_point later = t0 + 10s;
  EXPECT_EQ(down.receive(block, later, later + transmit_time(block, 0.25e6), 0s),
            later + transmit_time(block, 0.25e6));
  EXPECT_EQ(down.free_at, later + one);
}

TEST(link_model, the_uplink_serves_queued_connections_in_round_robin) {
  uplink up(1e6);
  const std::vector<connection_id> conns{connection_id{3}, connection_id{1}, connection_id{7}};
  for (const connection_id c : conns)
    up.queue(c);
  std::vector<connection_id> served;
  time_point now = t0;
  for (int i = 0; i < 9; ++i) {
    const auto c = up.next();
    ASSERT_TRUE(c);
    served.push_back(*c);
    now = up.send(block, now);
    EXPECT_TRUE(up.busy());
    up.queue(*c);  // still has blocks: back of the queue
    up.idle();
  }
  for (std::size_t i = 0; i < served.size(); ++i)
    EXPECT_EQ(served[i], conns[i % 3]) << i;
  // One block at a time at the uplink's rate: nine blocks, nine transmit times.
  EXPECT_EQ(now, t0 + 9 * transmit_time(block, 1e6));
}

TEST(link_model, k_busy_connections_share_the_uplink_equally) {
  uplink up(2e6);
  constexpr int k = 5;
  for (int c = 0; c < k; ++c)
    up.queue(connection_id{static_cast<std::uint64_t>(c)});
  std::map<std::uint64_t, int> blocks;
  for (int i = 0; i < 1000; ++i) {  // past the queue's compaction (64 served)
    const auto c = up.next();
    ASSERT_TRUE(c);
    ++blocks[c->value()];
    up.queue(*c);
  }
  ASSERT_EQ(blocks.size(), static_cast<std::size_t>(k));
  for (const auto& [c, n] : blocks)
    EXPECT_EQ(n, 1000 / k) << c;
}

TEST(link_model, a_connection_with_nothing_more_leaves_the_round_robin) {
  uplink up(1e6);
  up.queue(connection_id{1});
  up.queue(connection_id{2});
  EXPECT_EQ(up.next(), connection_id{1});  // not queued again: its last block
  EXPECT_EQ(up.next(), connection_id{2});
  up.queue(connection_id{2});
  EXPECT_EQ(up.next(), connection_id{2});
  EXPECT_FALSE(up.next());
  EXPECT_FALSE(up.busy());
}

// Rule 1 for a strategy that orders blocks: the queue minus the connections the
// driver drops, in order, and any entry may be taken next.
TEST(link_model, a_strategy_may_take_any_queued_connection) {
  uplink up(1e6);
  for (std::uint64_t c : {5, 1, 4, 2, 3})
    up.queue(connection_id{c});
  EXPECT_EQ(up.next(), connection_id{5});  // round robin meanwhile
  up.prune([](connection_id c) { return c != connection_id{4}; });
  ASSERT_EQ(up.queued().size(), 3u);
  EXPECT_EQ(up.queued()[0], connection_id{1});
  EXPECT_EQ(up.queued()[2], connection_id{3});
  EXPECT_EQ(up.take(1), connection_id{2});
  EXPECT_EQ(up.take(1), connection_id{3});
  up.queue(connection_id{6});
  EXPECT_EQ(up.next(), connection_id{1});
  EXPECT_EQ(up.next(), connection_id{6});
  EXPECT_FALSE(up.next());
}

}  // namespace
}  // namespace swarmsim::sim
