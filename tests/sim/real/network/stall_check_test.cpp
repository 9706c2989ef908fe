#include "sim/real/network/stall_check.hpp"

#include <gtest/gtest.h>

namespace swarmsim::sim::real {
namespace {

using namespace std::chrono_literals;
using protocol::time_origin;

const stall_limits limits{20s, 60s, 180s, 60s};

protocol::session active_session() {
  protocol::session s;
  s.state = protocol::session_state::active;
  s.connected_at = time_origin;
  s.last_block = time_origin;
  return s;
}

TEST(stall_check, a_fresh_quiet_connection_is_fine) {
  const auto s = active_session();
  EXPECT_FALSE(stall_reason(&s, time_origin + 59s, {59s, std::nullopt}, limits));
}

TEST(stall_check, missing_handshake_counts_only_before_the_handshake) {
  auto s = active_session();
  s.state = protocol::session_state::awaiting_handshake;
  EXPECT_FALSE(stall_reason(&s, time_origin + 20s, {1s, std::nullopt}, limits));
  const auto why = stall_reason(&s, time_origin + 21s, {1s, std::nullopt}, limits);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("handshake"), std::string::npos);
  s.state = protocol::session_state::active;
  EXPECT_FALSE(stall_reason(&s, time_origin + 21s, {1s, std::nullopt}, limits));
}

TEST(stall_check, unanswered_requests_count_only_while_unchoked) {
  auto s = active_session();
  s.outstanding.push_back({protocol::piece_index{3}, protocol::block_index{0}});
  s.peer_choking = false;
  EXPECT_FALSE(stall_reason(&s, time_origin + 60s, {1s, std::nullopt}, limits));
  EXPECT_TRUE(stall_reason(&s, time_origin + 61s, {1s, std::nullopt}, limits));
  s.last_block = time_origin + 30s;  // a block arrived meanwhile
  EXPECT_FALSE(stall_reason(&s, time_origin + 61s, {1s, std::nullopt}, limits));
  s.last_block = time_origin;
  s.peer_choking = true;
  EXPECT_FALSE(stall_reason(&s, time_origin + 61s, {1s, std::nullopt}, limits));
}

TEST(stall_check, silence_and_unread_writes_apply_without_a_session) {
  EXPECT_FALSE(stall_reason(nullptr, time_origin, {180s, 60s}, limits));
  EXPECT_TRUE(stall_reason(nullptr, time_origin, {181s, std::nullopt}, limits));
  EXPECT_TRUE(stall_reason(nullptr, time_origin, {1s, 61s}, limits));
}

}  // namespace
}  // namespace swarmsim::sim::real
