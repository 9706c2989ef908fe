#pragma once
// The swarm driver's events (sim/engine/swarm.cpp): one small struct per kind,
// with named fields, held by value in a std::variant that the event queue
// (sim/engine/event_queue.hpp) stores.
//
// 1. Every event is trivially copyable and at most 28 bytes, so an `event`
//    (variant index included) is 32 and a queue entry (time, sequence, event)
//    48: one whole in a 64-byte line, and a push or pop moves no more.
// 2. Slots (bitfield, recipients, announce) name an entry of one of the
//    driver's pools, taken back when the event runs.
// 3. Alternatives are ordered by how often they run in a flash crowd (blocks,
//    then control messages, then HAVE fan-outs...): dispatch() tests them in
//    that order.

#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/types.hpp"

namespace swarmsim::sim {

namespace events {

// A connection id kept as two 32-bit halves, so that events holding one align
// to 4 bytes and the largest stays within rule 1.
class conn_ref {
 public:
  conn_ref() = default;
  conn_ref(protocol::connection_id c)  // NOLINT: converts both ways, by design
      : lo_(static_cast<std::uint32_t>(c.value())),
        hi_(static_cast<std::uint32_t>(c.value() >> 32)) {}
  operator protocol::connection_id() const {  // NOLINT
    return protocol::connection_id{(static_cast<std::uint64_t>(hi_) << 32) | lo_};
  }

 private:
  std::uint32_t lo_ = 0;
  std::uint32_t hi_ = 0;
};

// A control message (every message but PIECE, BITFIELD and the handshake).
enum class control : std::uint8_t {
  keep_alive,
  choke,
  unchoke,
  interested,
  not_interested,
  have,     // piece
  request,  // piece, begin, length
  cancel,   // piece, begin, length
};

// A block (PIECE message) reaches `peer` on connection `conn`, from `sender`.
struct block {
  std::uint32_t peer;
  conn_ref conn;
  std::uint32_t piece;
  std::uint32_t begin;
  std::uint32_t length;
  std::uint32_t sender;
};

// A control message reaches `peer` on `conn`; the fields its type names are set.
struct control_message {
  std::uint32_t peer;
  conn_ref conn;
  std::uint32_t piece = 0;
  std::uint32_t begin = 0;
  std::uint32_t length = 0;
  control type = control::keep_alive;
};

// A HAVE of `sender` reaches the recipients its protocol chose (one-site swarms).
struct have_fanout {
  std::uint32_t sender;
  std::uint32_t piece;
  std::uint32_t recipients;  // slot of the recipients' connection ids
};

// `peer`'s uplink finished sending a block.
struct uplink_free {
  std::uint32_t peer;
};

// `peer`'s protocol deadline (protocol::peer::next_deadline) is due.
struct timer {
  std::uint32_t peer;
};

struct bitfield_message {
  std::uint32_t peer;
  conn_ref conn;
  std::uint32_t bits;  // slot of the bitfield
};

struct handshake_message {
  std::uint32_t peer;
  conn_ref conn;
  std::uint32_t sender;
};

struct tracker_request {
  std::uint32_t peer;
  std::uint32_t request;  // slot of the announce
};

struct tracker_response {
  std::uint32_t peer;
  std::uint32_t response;  // slot of the answer
};

// `initiator` dials `target`.
struct connect_request {
  std::uint32_t target;
  std::uint32_t initiator;
};

// `target` took the connection (its id of it: target_conn); the answer reaches
// `initiator`.
struct connect_accept {
  std::uint32_t initiator;
  std::uint32_t target;
  conn_ref target_conn;
};

struct connect_refused {
  std::uint32_t initiator;
  std::uint32_t target;
};

// `from` closed its end of `peer`'s connection `conn`.
struct remote_closed {
  std::uint32_t peer;
  conn_ref conn;
  std::uint32_t from;
};

struct arrive {
  std::uint32_t peer;
};

// `peer` leaves (planned departure or seeding time over).
struct depart {
  std::uint32_t peer;
};

// `peer` gives up unless it has completed (churn).
struct abort {
  std::uint32_t peer;
};

// The periodic swarm sample (simulation.sample_interval).
struct sample {};

// The periodic overlay sample (simulation.overlay_interval).
struct overlay_sample {};

}  // namespace events

using event =
    std::variant<events::block, events::control_message, events::have_fanout, events::uplink_free,
                 events::timer, events::bitfield_message, events::handshake_message,
                 events::tracker_request, events::tracker_response, events::connect_request,
                 events::connect_accept, events::connect_refused, events::remote_closed,
                 events::arrive, events::depart, events::abort, events::sample,
                 events::overlay_sample>;

static_assert(sizeof(event) == 32 && std::is_trivially_copyable_v<event>);

// A slot pool: stable indices, reused after release.
template <typename T>
class pool {
 public:
  std::uint32_t put(T v) {
    if (!free_.empty()) {
      const std::uint32_t i = free_.back();
      free_.pop_back();
      items_[i] = std::move(v);
      return i;
    }
    items_.push_back(std::move(v));
    return static_cast<std::uint32_t>(items_.size() - 1);
  }
  T take(std::uint32_t i) {
    T v = std::move(items_[i]);
    items_[i] = T{};
    free_.push_back(i);
    return v;
  }

 private:
  std::vector<T> items_;
  std::vector<std::uint32_t> free_;
};

// Calls f with the alternative `e` holds. A chain of tests in the order of rule
// 3 (std::visit on more than 11 alternatives calls through a table of function
// pointers instead, which the compiler cannot inline).
template <typename F, std::size_t I = 0>
inline void dispatch(const event& e, F&& f) {
  if constexpr (I < std::variant_size_v<event>) {
    if (e.index() == I) {
      f(*std::get_if<I>(&e));
      return;
    }
    dispatch<F, I + 1>(e, std::forward<F>(f));
  }
}

// The peer an event concerns, if any (sample and overlay_sample: none).
inline std::optional<std::uint32_t> peer_of(const event& e) {
  std::optional<std::uint32_t> p;
  dispatch(e, [&](const auto& x) {
    using T = std::decay_t<decltype(x)>;
    if constexpr (requires { x.peer; })
      p = x.peer;
    else if constexpr (std::is_same_v<T, events::connect_request>)
      p = x.target;
    else if constexpr (requires { x.initiator; })
      p = x.initiator;
    else if constexpr (requires { x.sender; })
      p = x.sender;
  });
  return p;
}

}  // namespace swarmsim::sim
