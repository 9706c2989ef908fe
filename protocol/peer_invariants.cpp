// peer::check_invariants(): kept apart from the peer's hot paths, which it only
// reads.

#include <algorithm>
#include <vector>

#include "protocol/invariant.hpp"
#include "protocol/peer.hpp"

namespace swarmsim::protocol {

void peer::check_invariants() const {
  picker_.check_invariants();
  choker_->check_invariants();
  check_session_table();
  for (const session& s : all_sessions())
    check_session(s);
  check_requests();
  check_availability();
  // Choker rules from the sessions' side: optimistic unchokes are open
  // connections, and no more are unchoked than there are slots.
  for (const connection_id c : choker_->optimistic_unchokes())
    require(find(c) != nullptr, "peer: the choker's optimistic connection {} is not open",
            c.value());
  require(!started_ || stopped_ || next_rechoke_ == choker_->next_deadline(),
          "peer: the rechoke timer {} ns is not the choker's {} ns",
          next_rechoke_.time_since_epoch().count(),
          choker_->next_deadline().time_since_epoch().count());
  require(num_unchoked() <= choker_->upload_slots(),
          "peer: {} connections unchoked, {} upload slots", num_unchoked(),
          choker_->upload_slots());
  // Invariant 11: pieces awaiting their check are had by the picker, and counted.
  require(num_checking_ == checking_.count(), "peer: {} pieces counted awaiting a check, {} listed",
          num_checking_, checking_.count());
  for (std::uint32_t p = 0; p < checking_.size(); ++p)
    require(!checking_.test(p) || picker_.have(piece_index{p}),
            "peer: piece {} awaits its check but the picker does not have it", p);
  for (const auto& id : banned_)
    for (const session& s : all_sessions())
      require(!s.open || s.state != session_state::active || remote_ids_[slot_of(s.id)] != id,
              "peer invariant 11: connection {} is open to a banned remote", s.id.value());
}

// The table behind sessions(): slots, ids and counters (see sessions_).
void peer::check_session_table() const {
  require(sessions_.size() <= std::size_t{limits_.max_connections} + 1,
          "peer session table: {} slots for at most {} connections", sessions_.size(),
          limits_.max_connections);
  std::vector<std::uint8_t> seen(sessions_.size(), 0);
  std::size_t open = 0, closed = 0, outgoing = 0;
  const session* previous = nullptr;
  for (const std::uint32_t slot : order_) {
    require(slot < sessions_.size() && !seen[slot],
            "peer session table: order_ lists slot {} twice or out of range", slot);
    seen[slot] = 1;
    const session& s = sessions_[slot];
    require(slot_of(s.id) == slot && (s.id.value() >> 32) < next_serial_,
            "peer session table: slot {} holds connection {} (serial {}, next {})", slot,
            s.id.value(), s.id.value() >> 32, next_serial_);
    require(!previous || previous->id < s.id,
            "peer session table: connection {} follows {} in order_", s.id.value(),
            previous ? previous->id.value() : 0);
    previous = &s;
    open += s.open;
    closed += !s.open;
    outgoing += s.open && s.outgoing;
  }
  for (const std::uint32_t slot : free_slots_) {
    require(slot < sessions_.size() && !seen[slot] && !sessions_[slot].open,
            "peer session table: free slot {} is out of range, in order_, free twice or open",
            slot);
    seen[slot] = 1;
  }
  require(order_.size() + free_slots_.size() == sessions_.size(),
          "peer session table: {} slots in order_, {} free, of {}", order_.size(),
          free_slots_.size(), sessions_.size());
  require(open == num_open_ && closed == num_closed_ && outgoing == num_outgoing_,
          "peer session table: {} open, {} closed, {} outgoing; counted {}, {}, {}", open, closed,
          outgoing, num_open_, num_closed_, num_outgoing_);
  require(num_open_ <= limits_.max_connections, "peer invariant 5: {} connections open, at most {}",
          num_open_, limits_.max_connections);
  std::vector<endpoint> connected = connected_to_;
  std::sort(connected.begin(), connected.end());
  const auto twice = std::adjacent_find(connected.begin(), connected.end());
  require(twice == connected.end(), "peer: address {}:{} is listed twice as connected",
          twice == connected.end() ? 0 : twice->address,
          twice == connected.end() ? 0 : twice->port);
  // One open connection per remote, never to ourselves.
  std::vector<endpoint> remotes;
  for (const session& s : all_sessions()) {
    if (!s.open) continue;
    require(s.remote != self_, "peer: connection {} leads to ourselves", s.id.value());
    require(std::binary_search(connected.begin(), connected.end(), s.remote),
            "peer: the remote of connection {} is not listed as connected", s.id.value());
    remotes.push_back(s.remote);
  }
  std::sort(remotes.begin(), remotes.end());
  require(std::adjacent_find(remotes.begin(), remotes.end()) == remotes.end(),
          "peer: two open connections to one remote");
}

void peer::check_session(const session& s) const {
  const auto c = s.id.value();
  if (!s.open) {
    require(s.outstanding.empty() && s.upload_queue.empty(),
            "peer invariant 1: closed connection {} keeps {} requests and {} queued uploads", c,
            s.outstanding.size(), s.upload_queue.size());
    return;
  }
  require(s.remote_has.size() == geometry_.num_pieces(),
          "peer: connection {} has a bitfield of {} pieces", c, s.remote_has.size());
  const std::uint32_t wanted = s.remote_has.count_not_in(picker_.have_bits());
  require(s.wanted == wanted,
          "peer invariant 2: connection {} counts {} wanted pieces, the remote has {} we lack", c,
          s.wanted, wanted);
  require(s.am_interested == (s.wanted > 0),
          "peer invariant 2: connection {} interested {} with {} wanted pieces", c, s.am_interested,
          s.wanted);
  require(s.remote_is_seed == (s.remote_has.size() > 0 && s.remote_has.all()),
          "peer: connection {} seed flag {} with {} of {} pieces", c, s.remote_is_seed,
          s.remote_has.count(), s.remote_has.size());
  require(s.outstanding.size() <= max_request_depth(),
          "session invariant 1: connection {} has {} requests outstanding, pipeline depth {}", c,
          s.outstanding.size(), max_request_depth());
  require(!s.am_choking || s.upload_queue.empty(),
          "peer invariant 3: connection {} queues {} uploads while we choke it", c,
          s.upload_queue.size());
  require(s.am_choking || (s.state == session_state::active && s.peer_interested),
          "choker rule 6: connection {} unchoked while active {}, interested {}", c,
          s.state == session_state::active, s.peer_interested);
  require(s.down_rate.t_prev <= s.down_rate.t_last && s.up_rate.t_prev <= s.up_rate.t_last,
          "session invariant 3: connection {} has a rate window ending before it starts", c);
  require(!s.superseed_piece || s.super_seeded,
          "session invariant 4: connection {} shows piece {} without super-seeding", c,
          s.superseed_piece ? s.superseed_piece->value() : 0);
}

// Each open connection's outstanding requests are exactly the picker's requests
// by that connection.
void peer::check_requests() const {
  std::vector<std::pair<block_ref, requester>> ours;
  for (const session& s : all_sessions())
    if (s.open)
      for (const block_ref b : s.outstanding)
        ours.emplace_back(b, s.id);
  std::vector<std::pair<block_ref, requester>> picker = picker_.requests();
  std::sort(ours.begin(), ours.end());
  std::sort(picker.begin(), picker.end());
  const auto [a, b] = std::mismatch(ours.begin(), ours.end(), picker.begin(), picker.end());
  if (a == ours.end() && b == picker.end()) return;
  const bool ours_first = b == picker.end() || (a != ours.end() && *a < *b);
  const auto& [block, who] = ours_first ? *a : *b;
  require(false, "peer invariant 1: block {}/{} requested by connection {} {}", block.piece.value(),
          block.block.value(), who.value(),
          ours_first ? "in its session, not in the picker" : "in the picker, not in its session");
}

// Picker invariant 1: availability counts the open connections' pieces.
void peer::check_availability() const {
  std::vector<std::uint32_t> count(geometry_.num_pieces(), 0);
  std::uint32_t seeds = 0;
  for (const session& s : all_sessions()) {
    if (!s.open || s.state != session_state::active) continue;
    if (s.remote_is_seed)
      ++seeds;
    else
      s.remote_has.for_each_set([&](std::uint32_t p) { ++count[p]; });
  }
  require(picker_.seed_count() == seeds, "piece_picker invariant 1: {} seeds counted, {} connected",
          picker_.seed_count(), seeds);
  for (std::uint32_t p = 0; p < count.size(); ++p)
    require(picker_.availability(piece_index{p}) == count[p] + seeds,
            "piece_picker invariant 1: piece {} has availability {}, {} connections have it", p,
            picker_.availability(piece_index{p}), count[p] + seeds);
}

}  // namespace swarmsim::protocol
