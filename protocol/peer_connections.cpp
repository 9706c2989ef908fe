// protocol::peer: its connections. Opening and accepting them (and making room
// for one), closing them, turning them over when idle, and the address list the
// tracker fills (peer.hpp, invariants 1, 5 and 7).

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>
#include <utility>

#include "protocol/peer.hpp"

namespace swarmsim::protocol {

namespace {
std::uint64_t key_of(endpoint e) {
  return (std::uint64_t{e.address} << 16) | e.port;
}
}  // namespace

bool peer::can_accept(time_point now) const {
  return !stopped_ && (num_open_ < limits_.max_connections || idle_victim(now));
}

std::optional<connection_id> peer::on_connected(endpoint remote, bool outgoing, time_point now) {
  // Free the slots of sessions closed before this call (the driver has heard of
  // those), not of one make_room closes below: the driver learns of that one
  // only when it drains the actions, after taking the new connection's id.
  if (num_closed_ > 0) compact_sessions();
  if (outgoing && num_pending_connects_ > 0) --num_pending_connects_;
  if (!outgoing && !stopped_ && num_open_ >= limits_.max_connections && remote != self_ &&
      std::find(connected_to_.begin(), connected_to_.end(), remote) == connected_to_.end())
    make_room(now);  // may change connected_to_
  if (!outgoing && options_.max_connections_per_address > 0) {
    const auto it = incoming_per_address_.find(remote.address);
    if (it != incoming_per_address_.end() && it->second >= options_.max_connections_per_address)
      return std::nullopt;
  }
  const auto known = std::find(connected_to_.begin(), connected_to_.end(), remote);
  if (known != connected_to_.end()) {
    // Already connected, or both sides connecting at once: of two simultaneous
    // connections, the one the lower address opened is kept.
    if (has_open_session(remote) || (!outgoing && !(remote < self_))) return std::nullopt;
  }
  // Every serial given (2^32 connections in this peer's life): refuse rather
  // than reuse an id. Slots need no check: open sessions < max_connections,
  // plus at most the one make_room closed, so slot <= max_connections.
  const bool ids_used = next_serial_ == std::numeric_limits<std::uint32_t>::max();
  if (stopped_ || num_open_ >= limits_.max_connections || remote == self_ || ids_used) {
    if (outgoing && known != connected_to_.end()) connected_to_.erase(known);
    return std::nullopt;
  }
  if (known == connected_to_.end()) connected_to_.push_back(remote);
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    sessions_[slot] = session{};
  } else {
    slot = static_cast<std::uint32_t>(sessions_.size());
    sessions_.emplace_back();
  }
  order_.push_back(slot);
  const connection_id id{(std::uint64_t{next_serial_++} << 32) | slot};
  session& s = sessions_[slot];
  s.id = id;
  s.remote = remote;
  s.outgoing = outgoing;
  s.remote_has = bitfield(geometry_.num_pieces());
  s.connected_at = now;
  s.interest_seen = now;
  s.last_sent = now;
  s.down_rate.t_prev = s.down_rate.t_last = now;
  s.up_rate.t_prev = s.up_rate.t_last = now;
  ++num_open_;
  if (!outgoing && options_.max_connections_per_address > 0)
    ++incoming_per_address_[remote.address];
  if (outgoing) {
    ++num_outgoing_;
    send(s, msg::handshake{info_hash_, id_, reserved_bits()});
    s.handshake_sent = true;
  }
  return id;
}

bool peer::has_open_session(endpoint remote) const {
  return std::ranges::any_of(all_sessions(),
                             [&](const session& s) { return s.open && s.remote == remote; });
}

// The connection make_room closes, as the neighbour strategy chooses among
// those open for a rechoke interval at least and idle: demoted for holding a
// seed slot without asking (choker rule 10), or neither side interested;
// nullptr if none.
const session* peer::idle_victim(time_point now) const {
  drop_scratch_.clear();
  for (const auto& s : all_sessions()) {
    if (!s.open || s.state != session_state::active ||
        now - s.connected_at < options_.choker.rechoke_interval)
      continue;
    if (!s.idled && (s.am_interested || s.peer_interested)) continue;
    drop_scratch_.push_back(drop_candidate{s.id, s.idled, s.connected_at, s.interest_seen});
  }
  if (drop_scratch_.empty()) return nullptr;
  const auto i = neighbours_->drop_for_incoming(drop_scratch_, now);
  if (!i) return nullptr;
  if (*i >= drop_scratch_.size())
    throw std::logic_error(fmt::format(
        "neighbour strategy '{}' chose connection {} of {} to drop (neighbour_strategy.hpp "
        "rule 7)",
        options_.neighbours.name(), *i, drop_scratch_.size()));
  return find(drop_scratch_[*i].conn);
}

duration peer::announce_gap(duration tracker_interval) const {
  const duration gap = neighbours_->announce_interval(tracker_interval, min_announce_gap_);
  if (gap <= duration::zero() || (gap < min_announce_gap_ && gap != tracker_interval))
    throw std::logic_error(
        fmt::format("neighbour strategy '{}' asked to announce {} s apart, under the tracker's "
                    "min interval of {} s (neighbour_strategy.hpp rule 7)",
                    options_.neighbours.name(), to_seconds(gap), to_seconds(min_announce_gap_)));
  return gap;
}

void peer::make_room(time_point now) {
  if (const session* victim = idle_victim(now))
    close(*get(victim->id), now, disconnect_reason::make_room, reconnect::later);
}

void peer::on_connect_failed(endpoint remote, time_point now) {
  if (num_pending_connects_ > 0) --num_pending_connects_;
  last_closed_[key_of(remote)] = now;
  auto it = std::find(connected_to_.begin(), connected_to_.end(), remote);
  if (!has_open_session(remote) && it != connected_to_.end()) connected_to_.erase(it);
  connect_more(now);
}

void peer::on_disconnected(connection_id conn, time_point now) {
  session* s = get(conn);
  if (!s) return;
  const bool held_slot = !s->am_choking;
  close(*s, now, std::nullopt, reconnect::later);
  if (held_slot) reselect(now);  // its slot goes to another peer at once (rule 8)
  connect_more(now);
}

// Drops the closed sessions from order_, keeping the open ones in the order
// they were opened (the order every loop over the sessions sees), and frees
// their slots. Runs before a new session is added, never while a session
// reference is held.
void peer::compact_sessions() {
  std::size_t to = 0;
  for (const std::uint32_t slot : order_) {
    if (!sessions_[slot].open) {
      free_slots_.push_back(slot);
      continue;
    }
    order_[to++] = slot;
  }
  order_.resize(to);
  // Reuse the lowest slots first (free_slots_ is taken from the back).
  std::sort(free_slots_.begin(), free_slots_.end(), std::greater<>());
  num_closed_ = 0;
}

void peer::close(session& s, time_point now, std::optional<disconnect_reason> tell_driver,
                 reconnect again) {
  if (!s.open) return;
  // A remote we may want again goes back to the address list (tried last);
  // one that broke the protocol, or a seed when we are one, does not.
  if (again == reconnect::later && !stopped_ && !(s.remote_is_seed && picker_.is_seed()) &&
      std::find(candidates_.begin(), candidates_.end(), s.remote) == candidates_.end())
    candidates_.insert(candidates_.begin(), s.remote);
  const bool freed = !s.outstanding.empty();
  for (const block_ref b : s.outstanding)
    picker_.abort_request(b, s.id);
  s.outstanding.clear();
  s.withdrawn.clear();
  s.upload_queue.clear();
  if (s.state == session_state::active) {
    if (s.remote_is_seed)
      picker_.dec_seed();
    else if (!s.remote_has.none())
      picker_.dec_availability(s.remote_has);
  }
  choker_->forget(s.id);
  s.open = false;
  ++num_closed_;  // compact_sessions() frees it
  --num_open_;
  if (s.outgoing) {
    --num_outgoing_;
  } else if (options_.max_connections_per_address > 0) {
    const auto it = incoming_per_address_.find(s.remote.address);
    if (it != incoming_per_address_.end() && --it->second == 0) incoming_per_address_.erase(it);
  }
  auto it = std::find(connected_to_.begin(), connected_to_.end(), s.remote);
  if (it != connected_to_.end()) connected_to_.erase(it);
  last_closed_[key_of(s.remote)] = now;
  if (tell_driver) actions_.emplace_back(action::disconnect{s.id, *tell_driver});
  if (freed && !stopped_) refill_others(s, now);
}

void peer::protocol_error(session& s, disconnect_reason why, time_point now) {
  ++stats_.protocol_errors;
  close(s, now, why);
}

void peer::close_inactive(time_point now) {
  if (options_.inactivity_timeout <= duration::zero()) return;
  for (auto& s : all_sessions()) {
    if (!s.open) continue;
    if (s.am_interested || s.peer_interested) {
      s.interest_seen = now;
    } else if (now - s.interest_seen >= options_.inactivity_timeout) {
      // A slot it held goes out at the rechoke below.
      close(s, now, disconnect_reason::inactive, reconnect::later);
    }
  }
}

void peer::on_tracker_response(const announce_response& r, time_point now) {
  if (stopped_ || r.failure) return;
  if (r.min_interval.count() > 0) min_announce_gap_ = r.min_interval;
  if (r.interval.count() > 0) {
    options_.announce_interval = r.interval;
    next_announce_ = std::min(next_announce_, now + announce_gap(r.interval));
  }
  for (const auto& e : r.peers) {
    if (e.address == self_) continue;
    if (std::find(connected_to_.begin(), connected_to_.end(), e.address) != connected_to_.end())
      continue;
    if (std::find(candidates_.begin(), candidates_.end(), e.address) != candidates_.end()) continue;
    if (std::find(banned_addresses_.begin(), banned_addresses_.end(), e.address) !=
        banned_addresses_.end())
      continue;
    candidates_.push_back(e.address);
  }
  connect_more(now);
}

void peer::connect_more(time_point now) {
  if (stopped_) return;
  // From the back (the newest addresses); one closed too recently stays for later.
  for (std::size_t i = candidates_.size();
       i > 0 && num_outgoing_ + num_pending_connects_ < limits_.max_initiate &&
       num_open_ + num_pending_connects_ < limits_.max_connections;) {
    --i;
    const endpoint e = candidates_[i];
    if (std::find(connected_to_.begin(), connected_to_.end(), e) == connected_to_.end()) {
      if (const auto c = last_closed_.find(key_of(e));
          c != last_closed_.end() && now - c->second < options_.reconnect_delay)
        continue;
      connected_to_.push_back(e);
      ++num_pending_connects_;
      actions_.emplace_back(action::connect{e});
    }
    candidates_.erase(candidates_.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

}  // namespace swarmsim::protocol
