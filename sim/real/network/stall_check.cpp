#include "sim/real/network/stall_check.hpp"

#include <fmt/format.h>

namespace swarmsim::sim::real {

std::optional<std::string> stall_reason(const protocol::session* s, protocol::time_point now,
                                        const socket_activity& activity,
                                        const stall_limits& limits) {
  if (s && s->state == protocol::session_state::awaiting_handshake &&
      now - s->connected_at > limits.handshake)
    return fmt::format("no handshake within {} s", limits.handshake.count() / 1000.0);
  if (s && !s->outstanding.empty() && !s->peer_choking && now - s->last_block > limits.request)
    return fmt::format("{} requests unanswered for {} s", s->outstanding.size(),
                       limits.request.count() / 1000.0);
  if (activity.since_received > limits.idle)
    return fmt::format("nothing received for {} s", limits.idle.count() / 1000.0);
  if (activity.writing_for && *activity.writing_for > limits.write)
    return fmt::format("not reading what we send for {} s", limits.write.count() / 1000.0);
  return std::nullopt;
}

}  // namespace swarmsim::sim::real
