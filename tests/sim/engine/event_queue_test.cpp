#include "sim/engine/event_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace swarmsim::sim {
namespace {

using std::chrono::seconds;

time_point at(int s) {
  return protocol::time_origin + seconds(s);
}

// Pops everything due by `limit` with pop_due, returning the events' payloads.
std::vector<int> drain_due(event_queue<int>& q, time_point limit) {
  std::vector<int> out;
  while (!q.empty()) {
    const auto e = q.pop_due(limit);
    if (!e) break;
    out.push_back(e->event);
  }
  return out;
}

TEST(event_queue, pop_due_takes_heap_and_lanes_in_time_then_push_order) {
  event_queue<int> q;
  const auto lane = q.add_lane();
  q.push(at(3), 1);
  q.push_lane(lane, at(2), 2);
  q.push_lane(lane, at(3), 3);
  q.push(at(1), 4);
  q.push(at(5), 5);
  EXPECT_EQ(drain_due(q, at(3)), (std::vector<int>{4, 2, 1, 3}));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.top().event, 5);  // later than the limit: left in the queue
}

TEST(event_queue, pop_due_skips_cancelled_events) {
  event_queue<int> q;
  const auto lane = q.add_lane();
  q.cancel(q.push_lane(lane, at(1), 1));
  q.push(at(2), 2);
  q.cancel(q.push(at(0), 3));
  EXPECT_EQ(drain_due(q, at(10)), (std::vector<int>{2}));
  EXPECT_TRUE(q.empty());
}

TEST(event_queue, pop_due_matches_top_then_pop) {
  event_queue<int> a, b;
  for (auto* q : {&a, &b}) {
    const auto l0 = q->add_lane();
    const auto l1 = q->add_lane();
    for (int i = 0; i < 50; ++i) {
      q->push(at((i * 7) % 13), i);
      q->push_lane(l0, at(i / 3), 100 + i);
      q->push_lane(l1, at(i / 5), 200 + i);
    }
  }
  std::vector<int> by_top_pop;
  while (!b.empty() && b.top().time <= at(9))
    by_top_pop.push_back(b.pop().event);
  EXPECT_EQ(drain_due(a, at(9)), by_top_pop);
  EXPECT_EQ(a.size(), b.size());
}

}  // namespace
}  // namespace swarmsim::sim
