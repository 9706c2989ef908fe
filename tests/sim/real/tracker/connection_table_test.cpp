// connection_table's admission rules (invariants 1-4 of its header), on
// addresses alone: no sockets.

#include "sim/real/tracker/connection_table.hpp"

#include <gtest/gtest.h>

namespace swarmsim::sim::real {
namespace {

using verdict = connection_table::verdict;

boost::asio::ip::address host(unsigned n) {
  return boost::asio::ip::make_address_v4(0x0a000000u + n);
}

TEST(connection_table, a_full_table_evicts_the_connection_waiting_longest) {
  connection_table t({3, 3});
  const auto a = t.admit(host(1)).admitted;
  const auto b = t.admit(host(2)).admitted;
  const auto c = t.admit(host(3)).admitted;
  t.waiting(b);
  t.waiting(a);
  t.waiting(c);
  const auto d = t.admit(host(4));
  EXPECT_EQ(d.outcome, verdict::admitted);
  EXPECT_EQ(d.evicted, b);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.from(host(2)), 0u);
  t.remove(b);  // the session's own removal after eviction does nothing
  EXPECT_EQ(t.size(), 3u);
}

TEST(connection_table, a_connection_waiting_again_goes_to_the_back) {
  connection_table t({2, 2});
  const auto a = t.admit(host(1)).admitted;
  const auto b = t.admit(host(1)).admitted;
  t.waiting(a);
  t.waiting(b);
  t.busy(a);
  t.waiting(a);  // answered, now waiting for its next request
  EXPECT_EQ(t.admit(host(2)).evicted, b);
}

TEST(connection_table, busy_connections_are_not_evicted) {
  connection_table t({2, 2});
  const auto a = t.admit(host(1)).admitted;
  const auto b = t.admit(host(2)).admitted;
  t.waiting(a);
  t.waiting(b);
  t.busy(a);
  t.busy(b);
  const auto c = t.admit(host(3));
  EXPECT_EQ(c.outcome, verdict::refused_table_full);
  EXPECT_FALSE(c.evicted);
  EXPECT_EQ(t.size(), 2u);
}

TEST(connection_table, one_address_is_capped_and_freed_on_removal) {
  connection_table t({10, 2});
  const auto a = t.admit(host(1)).admitted;
  t.admit(host(1));
  EXPECT_EQ(t.admit(host(1)).outcome, verdict::refused_address_full);
  EXPECT_EQ(t.admit(host(2)).outcome, verdict::admitted);
  // An IPv4-mapped IPv6 address is the same host.
  const auto mapped = boost::asio::ip::make_address_v6(
      boost::asio::ip::v4_mapped, boost::asio::ip::make_address_v4(0x0a000001u));
  EXPECT_EQ(t.admit(mapped).outcome, verdict::refused_address_full);
  t.remove(a);
  EXPECT_EQ(t.from(host(1)), 1u);
  EXPECT_EQ(t.admit(mapped).outcome, verdict::admitted);
  EXPECT_EQ(t.size(), 3u);
}

}  // namespace
}  // namespace swarmsim::sim::real
