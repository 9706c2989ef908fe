#pragma once
// When a connection counts as stalled and is dropped (peer_host's timeout sweep),
// as a pure function of the session's state and the socket's activity.
//
// Rules, first match wins:
// 1. The remote's handshake has not arrived `handshake` after the connection opened.
// 2. The remote unchokes us, we have requests outstanding, and no block arrived
//    for `request` (session::last_block is reset when requests start).
// 3. Nothing at all arrived for `idle` (keep-alives come every 120 s).
// 4. A write has been in progress for `write`: the remote does not read.

#include <chrono>
#include <optional>
#include <string>

#include "protocol/session.hpp"
#include "protocol/types.hpp"

namespace swarmsim::sim::real {

struct stall_limits {
  std::chrono::milliseconds handshake{20'000};
  std::chrono::milliseconds request{60'000};
  std::chrono::milliseconds idle{180'000};
  std::chrono::milliseconds write{60'000};
};

struct socket_activity {
  std::chrono::steady_clock::duration since_received{};
  std::optional<std::chrono::steady_clock::duration> writing_for;  // nullopt: not writing
};

// Why the connection should be dropped (for the log), or nullopt. `s` may be null
// (a connection the peer no longer knows): only rules 3 and 4 apply then.
std::optional<std::string> stall_reason(const protocol::session* s, protocol::time_point now,
                                        const socket_activity& activity,
                                        const stall_limits& limits);

}  // namespace swarmsim::sim::real
