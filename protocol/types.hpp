#pragma once
// Vocabulary types shared by all of protocol/: strong ids, the protocol's notion
// of time, hashes and endpoints.
//
// 1. Time is a parameter, never read from a clock: `time_point` counts integer
//    nanoseconds from an origin the driver chooses (simulation start, or the
//    moment a real-socket process started).
// 2. Ids are strong types: a piece_index never converts silently to a block
//    index or a connection id.

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>

namespace swarmsim::protocol {

// Clock tag for protocol time. It has no now(): the driver supplies the time.
struct protocol_clock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<protocol_clock>;
  static constexpr bool is_steady = true;
};

using duration = protocol_clock::duration;
using time_point = protocol_clock::time_point;

constexpr time_point time_origin{};
constexpr time_point never = time_point::max();

inline constexpr double to_seconds(duration d) {
  return static_cast<double>(d.count()) * 1e-9;
}
inline constexpr double to_seconds(time_point t) {
  return to_seconds(t.time_since_epoch());
}
// Rounded to the nearest nanosecond; saturates at the clock's range (about
// 292 years either way) instead of overflowing, and NaN is "never".
inline constexpr duration from_seconds(double s) {
  const double ns = s * 1e9;
  constexpr double limit = 9.2e18;  // below 2^63, exactly representable
  if (!(ns < limit)) return duration::max();
  if (ns <= -limit) return duration::min();
  return duration{static_cast<std::int64_t>(ns + (ns >= 0 ? 0.5 : -0.5))};
}

// The random generator every protocol object that needs randomness is handed.
using rng = std::mt19937_64;

// A strongly typed integer id. Tag makes each id its own type.
template <typename Tag, typename Rep = std::uint32_t>
class strong_id {
 public:
  using rep = Rep;
  constexpr strong_id() = default;
  constexpr explicit strong_id(Rep v) : value_(v) {}
  constexpr Rep value() const { return value_; }
  constexpr auto operator<=>(const strong_id&) const = default;
  constexpr strong_id& operator++() {
    ++value_;
    return *this;
  }

 private:
  Rep value_{};
};

using piece_index = strong_id<struct piece_index_tag>;
using block_index = strong_id<struct block_index_tag>;
// A connection as the local peer knows it: unique within one local peer, never
// reused, increasing in the order connections opened. Opaque to drivers (a
// driver's per-connection index is peer::slot_of).
using connection_id = strong_id<struct connection_id_tag, std::uint64_t>;
// A peer of the simulated swarm, or a tracker-side peer record.
using peer_id = strong_id<struct peer_id_tag>;

// A block: piece and block number within the piece.
struct block_ref {
  piece_index piece;
  block_index block;
  constexpr auto operator<=>(const block_ref&) const = default;
};

using sha1_hash = std::array<std::uint8_t, 20>;
// The 20-byte peer id of BEP 3 (distinct from the simulator's numeric peer_id).
using wire_peer_id = std::array<std::uint8_t, 20>;

// An IPv4 endpoint. In simulation, addresses are synthetic (10.x.y.z).
struct endpoint {
  std::uint32_t address = 0;  // host byte order
  std::uint16_t port = 0;
  constexpr auto operator<=>(const endpoint&) const = default;
};

std::string to_string(const endpoint& e);
std::string to_hex(const sha1_hash& h);

}  // namespace swarmsim::protocol

template <typename Tag, typename Rep>
struct std::hash<swarmsim::protocol::strong_id<Tag, Rep>> {
  std::size_t operator()(swarmsim::protocol::strong_id<Tag, Rep> id) const noexcept {
    return std::hash<Rep>{}(id.value());
  }
};
