#include "protocol/peer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace swarmsim::protocol {

namespace {
std::uint64_t key_of(endpoint e) {
  return (std::uint64_t{e.address} << 16) | e.port;
}
}  // namespace

std::string_view to_string(disconnect_reason r) {
  switch (r) {
    case disconnect_reason::stopped:
      return "stopped";
    case disconnect_reason::make_room:
      return "make room";
    case disconnect_reason::inactive:
      return "inactive";
    case disconnect_reason::both_seeds:
      return "both seeds";
    case disconnect_reason::hash_failures:
      return "hash failures";
    case disconnect_reason::duplicate:
      return "duplicate";
    case disconnect_reason::handshake_expected:
      return "message before the handshake";
    case disconnect_reason::wrong_info_hash:
      return "handshake for another torrent";
    case disconnect_reason::connected_to_self:
      return "connected to self";
    case disconnect_reason::second_handshake:
      return "second handshake";
    case disconnect_reason::bad_bitfield:
      return "bad bitfield";
    case disconnect_reason::bad_have:
      return "bad have";
    case disconnect_reason::bad_request:
      return "bad request";
    case disconnect_reason::bad_piece:
      return "bad piece";
    case disconnect_reason::not_negotiated:
      return "extension message not negotiated";
    case disconnect_reason::bad_extension_handshake:
      return "bad extension handshake";
    case disconnect_reason::too_many_requests:
      return "too many requests";
  }
  return "unknown";
}

peer::peer(const torrent_geometry& geometry, sha1_hash info_hash, wire_peer_id id, endpoint self,
           peer_options options, std::uint64_t seed)
    : geometry_(geometry),
      options_(options),
      picker_(geometry, options.picker, seed ^ 0x9e3779b97f4a7c15ull),
      choker_(options.choker),
      info_hash_(info_hash),
      id_(id),
      self_(self),
      random_(seed) {}

void peer::start(time_point now) {
  started_ = true;
  choker_.start(now);
  announce(announce_event::started, now);
}

void peer::announce(announce_event e, time_point now) {
  last_announce_ = now;
  if (e != announce_event::stopped) next_announce_ = now + options_.announce_interval;
  actions_.emplace_back(action::announce{e});
}

void peer::stop(time_point now) {
  if (stopped_) return;
  for (auto& s : all_sessions())
    if (s.open) close(s, now, disconnect_reason::stopped);
  stopped_ = true;
  next_announce_ = never;
  announce(announce_event::stopped, now);
}

bool peer::can_accept(time_point now) const {
  return !stopped_ && (num_open_ < options_.max_connections || idle_victim(now));
}

std::optional<connection_id> peer::on_connected(endpoint remote, bool outgoing, time_point now) {
  // Free the slots of sessions closed before this call (the driver has heard of
  // those), not of one make_room closes below: the driver learns of that one
  // only when it drains the actions, after taking the new connection's id.
  if (num_closed_ > 0) compact_sessions();
  if (outgoing && num_pending_connects_ > 0) --num_pending_connects_;
  if (!outgoing && !stopped_ && num_open_ >= options_.max_connections && remote != self_ &&
      std::find(connected_to_.begin(), connected_to_.end(), remote) == connected_to_.end())
    make_room(now);  // may change connected_to_
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
  if (stopped_ || num_open_ >= options_.max_connections || remote == self_ || ids_used) {
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

// The connection make_room closes: neither side interested, open for a rechoke
// interval at least, idle longest; nullptr if none.
const session* peer::idle_victim(time_point now) const {
  const session* victim = nullptr;
  for (const auto& s : all_sessions()) {
    if (!s.open || s.state != session_state::active || s.am_interested || s.peer_interested ||
        now - s.connected_at < options_.choker.rechoke_interval)
      continue;
    if (!victim || s.interest_seen < victim->interest_seen) victim = &s;
  }
  return victim;
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

session* peer::get(connection_id c) {
  return const_cast<session*>(std::as_const(*this).find(c));
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

std::size_t peer::num_unchoked() const {
  std::size_t n = 0;
  for (const auto& s : all_sessions())
    if (s.open && !s.am_choking) ++n;
  return n;
}

bool peer::is_optimistic_unchoke(connection_id c) const {
  return choker_.is_optimistic(c);
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
  s.upload_queue.clear();
  if (s.state == session_state::active) {
    if (s.remote_is_seed)
      picker_.dec_seed();
    else if (!s.remote_has.none())
      picker_.dec_availability(s.remote_has);
  }
  choker_.forget(s.id);
  s.open = false;
  ++num_closed_;  // compact_sessions() frees it
  --num_open_;
  if (s.outgoing) --num_outgoing_;
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

// Invariant 8, checked where assertions are on (a release build pays nothing).
template <typename M>
void peer::on_message(connection_id conn, const M& m, time_point now) {
#ifdef NDEBUG
  receive(conn, m, now);
#else
  const time_point deadline = next_deadline();
  const std::size_t acted = actions_.size();
  receive(conn, m, now);
  if (next_deadline() != deadline && actions_.size() == acted)
    throw std::logic_error(
        fmt::format("a {} message moved the peer's deadline without an action", name(message{m})));
#endif
}

template <typename M>
void peer::receive(connection_id conn, const M& m, time_point now) {
  session* sp = get(conn);
  if (!sp || stopped_) return;
  session& s = *sp;
  stats_.wire_received += wire_size(m);
  if (s.state == session_state::awaiting_handshake) {
    if constexpr (std::is_same_v<M, msg::handshake>)
      handle_handshake(s, m, now);
    else
      protocol_error(s, disconnect_reason::handshake_expected, now);
    return;
  }
  dispatch(s, m, now);
}

template <typename M>
void peer::dispatch(session& s, const M& m, time_point now) {
  if constexpr (std::is_same_v<M, msg::handshake>)
    protocol_error(s, disconnect_reason::second_handshake, now);
  else if constexpr (std::is_same_v<M, msg::keep_alive>)
    (void)m;
  else if constexpr (std::is_same_v<M, msg::choke>)
    handle_choke(s, now);
  else if constexpr (std::is_same_v<M, msg::unchoke>)
    handle_unchoke(s, now);
  else if constexpr (std::is_same_v<M, msg::interested>)
    handle_interested(s, true, now);
  else if constexpr (std::is_same_v<M, msg::not_interested>)
    handle_interested(s, false, now);
  else if constexpr (std::is_same_v<M, msg::have>)
    handle_have(s, m.index, now);
  else if constexpr (std::is_same_v<M, msg::bitfield>)
    handle_bitfield(s, m, now);
  else if constexpr (std::is_same_v<M, msg::request>)
    handle_request(s, m, now);
  else if constexpr (std::is_same_v<M, msg::piece>)
    handle_piece(s, m, now);
  else if constexpr (std::is_same_v<M, msg::cancel>)
    handle_cancel(s, m);
  else if constexpr (std::is_same_v<M, msg::extended>)
    handle_extended(s, m, now);
  else if constexpr (std::is_same_v<M, msg::have_all> || std::is_same_v<M, msg::have_none> ||
                     std::is_same_v<M, msg::reject_request> ||
                     std::is_same_v<M, msg::suggest_piece> || std::is_same_v<M, msg::allowed_fast>)
    handle_fast(s, m, now);
  else
    static_assert(sizeof(M) == 0, "not a peer wire message");
}

void peer::on_message(connection_id conn, const message& m, time_point now) {
  std::visit([&](const auto& x) { on_message(conn, x, now); }, m);
}

// Every alternative of `message` has a typed entry point.
template void peer::on_message(connection_id, const msg::handshake&, time_point);
template void peer::on_message(connection_id, const msg::keep_alive&, time_point);
template void peer::on_message(connection_id, const msg::choke&, time_point);
template void peer::on_message(connection_id, const msg::unchoke&, time_point);
template void peer::on_message(connection_id, const msg::interested&, time_point);
template void peer::on_message(connection_id, const msg::not_interested&, time_point);
template void peer::on_message(connection_id, const msg::have&, time_point);
template void peer::on_message(connection_id, const msg::bitfield&, time_point);
template void peer::on_message(connection_id, const msg::request&, time_point);
template void peer::on_message(connection_id, const msg::piece&, time_point);
template void peer::on_message(connection_id, const msg::cancel&, time_point);
template void peer::on_message(connection_id, const msg::have_all&, time_point);
template void peer::on_message(connection_id, const msg::have_none&, time_point);
template void peer::on_message(connection_id, const msg::reject_request&, time_point);
template void peer::on_message(connection_id, const msg::suggest_piece&, time_point);
template void peer::on_message(connection_id, const msg::allowed_fast&, time_point);
template void peer::on_message(connection_id, const msg::extended&, time_point);

void peer::handle_handshake(session& s, const msg::handshake& h, time_point now) {
  if (h.info_hash != info_hash_ || h.peer == id_) {
    protocol_error(s,
                   h.info_hash != info_hash_ ? disconnect_reason::wrong_info_hash
                                             : disconnect_reason::connected_to_self,
                   now);
    return;
  }
  if (!keep_over_duplicate(s, h.peer, now)) return;
  s.state = session_state::active;
  note_extensions(s, h);
  if (!s.handshake_sent) {
    send(s, msg::handshake{info_hash_, id_, reserved_bits()});
    s.handshake_sent = true;
  }
  send_first_messages(s);
}

// Invariant 7. Returns whether `s` stays open.
bool peer::keep_over_duplicate(session& s, const wire_peer_id& remote, time_point now) {
  const std::uint32_t slot = slot_of(s.id);
  if (remote_ids_.size() < sessions_.size()) remote_ids_.resize(sessions_.size());
  const auto opener = [&](const session& x) -> const wire_peer_id& {
    return x.outgoing ? id_ : remote;
  };
  for (auto& o : all_sessions()) {
    if (!o.open || o.state != session_state::active || remote_ids_[slot_of(o.id)] != remote)
      continue;
    const bool keep_new = opener(s) != opener(o) && opener(s) < opener(o);
    session& loser = keep_new ? o : s;
    const bool held_slot = !loser.am_choking;
    close(loser, now, disconnect_reason::duplicate);
    if (held_slot) reselect(now);  // its upload slot goes to another peer at once
    if (!keep_new) return false;
    break;
  }
  remote_ids_[slot] = remote;
  return true;
}

void peer::reveal_next_piece(session& s) {
  const std::uint32_t pieces = geometry_.num_pieces();
  if (revealed_.empty()) revealed_.assign(pieces, 0);
  std::uint32_t best = pieces;
  std::uint64_t best_key = 0;
  std::uint64_t ties = 0;
  for (std::uint32_t i = 0; i < pieces; ++i) {
    if (s.remote_has.test(i)) continue;
    const std::uint64_t key =
        (std::uint64_t{revealed_[i]} << 32) | picker_.availability(piece_index{i});
    if (best == pieces || key < best_key) {
      best = i;
      best_key = key;
      ties = 1;
    } else if (key == best_key &&
               std::uniform_int_distribution<std::uint64_t>(0, ties++)(random_) == 0) {
      best = i;  // reservoir sampling: uniform among equals
    }
  }
  if (best == pieces) {
    s.superseed_piece.reset();
    return;
  }
  s.superseed_piece = piece_index{best};
  ++revealed_[best];
  send(s, msg::have{piece_index{best}});
}

void peer::on_superseed_have(session& from, piece_index p) {
  if (from.superseed_piece == p) {
    // It got the piece we showed it; wait until someone else has it too, unless
    // nobody else could pass it on.
    if (num_open_ == 1) reveal_next_piece(from);
    return;
  }
  for (auto& s : all_sessions())
    if (s.open && s.super_seeded && s.superseed_piece == p && s.remote_has.test(p))
      reveal_next_piece(s);
}

// BEP 3 puts the bitfield first, but aria2 sends a later one instead of a run
// of HAVEs when that is shorter, and libtorrent accepts it: a later bitfield
// replaces what the remote was known to have (its old pieces leave the
// availability, its new ones enter).
void peer::handle_bitfield(session& s, const msg::bitfield& m, time_point now) {
  if (m.bits.size() != geometry_.num_pieces()) {
    protocol_error(s, disconnect_reason::bad_bitfield, now);
    return;
  }
  if (s.remote_is_seed) {
    s.remote_is_seed = false;
    picker_.dec_seed();
  } else if (!s.remote_has.none()) {
    picker_.dec_availability(s.remote_has);
  }
  s.remote_has = m.bits;
  if (s.remote_has.all()) {
    s.remote_is_seed = true;
    picker_.inc_seed();
  } else if (!s.remote_has.none()) {
    picker_.inc_availability(s.remote_has);
  }
  s.wanted = s.remote_has.count_not_in(picker_.have_bits());
  if (s.super_seeded && s.superseed_piece && s.remote_has.test(*s.superseed_piece))
    reveal_next_piece(s);  // it had the piece already
  after_remote_content(s, now);
}

void peer::handle_have(session& s, piece_index p, time_point now) {
  if (!geometry_.valid_piece(p)) {
    protocol_error(s, disconnect_reason::bad_have, now);
    return;
  }
  if (s.remote_is_seed || !s.remote_has.set(p)) return;  // duplicate HAVE
  bool have = false;
  if (s.remote_has.all()) {
    // Count the new seed once instead of per piece.
    s.remote_has.reset(p);
    picker_.dec_availability(s.remote_has);
    s.remote_has.set(p);
    s.remote_is_seed = true;
    picker_.inc_seed();
    have = picker_.have(p);
  } else {
    have = picker_.inc_availability(p);
  }
  if (s.super_seeded && super_seeding()) on_superseed_have(s, p);
  if (!have) {
    ++s.wanted;
    if (s.wanted == 1)
      after_remote_content(s, now);
    else if (s.outstanding.size() < request_depth(s))
      fill_pipeline(s, now);
  } else if (s.remote_is_seed && picker_.is_seed()) {
    close(s, now, disconnect_reason::both_seeds);
  }
}

void peer::after_remote_content(session& s, time_point now) {
  if (s.remote_is_seed && picker_.is_seed()) {
    close(s, now, disconnect_reason::both_seeds);  // two seeds have nothing to exchange
    return;
  }
  update_interest(s);
  fill_pipeline(s, now);
}

void peer::update_interest(session& s) {
  const bool want = s.wanted > 0;
  if (want == s.am_interested) return;
  s.am_interested = want;
  if (want)
    send(s, msg::interested{});
  else
    send(s, msg::not_interested{});
}

void peer::handle_choke(session& s, time_point now) {
  if (s.peer_choking) return;
  s.peer_choking = true;
  // BEP 3: a choking peer discards our pending requests.
  const bool freed = !s.outstanding.empty();
  for (const block_ref b : s.outstanding)
    picker_.abort_request(b, s.id);
  s.outstanding.clear();
  if (freed) refill_others(s, now);
}

void peer::handle_unchoke(session& s, time_point now) {
  if (!s.peer_choking) return;
  s.peer_choking = false;
  s.last_block = now;
  fill_pipeline(s, now);
}

void peer::handle_interested(session& s, bool interested, time_point now) {
  if (s.peer_interested == interested) return;
  s.peer_interested = interested;
  // Rechoke with current rates, without rotating or moving the timer (choker
  // rule 8), only when the peer holds a slot (mainline Choker.interested /
  // not_interested): one that lost interest frees its slot for the next by rate
  // (or a random one). A choked peer that regains interest waits for the next
  // rechoke unless a slot is free (mainline would have unchoked it already,
  // uninterested, in its optimistic walk); taking a slot at once made every
  // flicker of interest reshuffle the regular slots, and tit-for-tat never
  // settled.
  if (!s.am_choking || num_unchoked() < choker_.upload_slots()) reselect(now);
}

// Invariant 9: every request gets its block or a REJECT where BEP 6 allows one.
void peer::handle_request(session& s, const msg::request& r, time_point now) {
  if (s.am_choking) {  // BEP 3 drops requests while choked; BEP 6 rejects them
    reject(s, r);
    return;
  }
  const auto b = geometry_.block_at(r.index, r.begin, r.length);
  if (!b || !picker_.have(r.index)) {
    protocol_error(s, disconnect_reason::bad_request, now);
    return;
  }
  if (s.upload_queue.size() >= options_.max_request_queue) {
    if (!reject(s, r)) protocol_error(s, disconnect_reason::too_many_requests, now);
    return;
  }
  // A super-seeded remote re-requests after each choke/unchoke round trip (one
  // per revealed piece); a block already queued is not queued twice.
  if (s.super_seeded &&
      std::find(s.upload_queue.begin(), s.upload_queue.end(), *b) != s.upload_queue.end())
    return;
  const bool was_empty = s.upload_queue.empty();
  s.upload_queue.push_back(*b);
  if (was_empty) actions_.emplace_back(action::upload_ready{s.id});
}

void peer::handle_cancel(session& s, const msg::cancel& c) {
  const auto b = geometry_.block_at(c.index, c.begin, c.length);
  if (!b) return;
  // BEP 6: a cancelled request is still answered, with a REJECT.
  if (s.upload_queue.erase(*b)) reject(s, msg::request{c.index, c.begin, c.length});
}

std::optional<msg::piece> peer::next_upload(connection_id conn, time_point now) {
  (void)now;
  session* s = get(conn);
  if (!s || s->am_choking || s->upload_queue.empty()) return std::nullopt;
  const block_ref b = s->upload_queue.front();
  s->upload_queue.pop_front();
  const std::uint32_t len = geometry_.block_length(b);
  s->payload_up += len;
  s->bytes_sent_since_unchoke += len;
  s->last_sent = now;
  stats_.uploaded += len;
  stats_.wire_sent += 13 + std::uint64_t{len};
  return msg::piece{b.piece, geometry_.block_offset(b), len, {}};
}

void peer::handle_piece(session& s, const msg::piece& m, time_point now) {
  const auto b = geometry_.block_at(m.index, m.begin, m.length);
  if (!b || (!m.data.empty() && m.data.size() != m.length)) {
    protocol_error(s, disconnect_reason::bad_piece, now);
    return;
  }
  s.payload_down += m.length;
  s.last_block = now;
  if (options_.queue == request_queue::adaptive) sample_download_rate(s, now);
  s.snubbed = false;
  auto it = std::find(s.outstanding.begin(), s.outstanding.end(), *b);
  if (it != s.outstanding.end()) s.outstanding.erase(it);
  auto result = picker_.mark_received(*b, s.id);
  if (!result.accepted) {
    stats_.wasted += m.length;
  } else {
    stats_.downloaded += m.length;
    for (const requester other : result.cancel) {
      session* o = get(other);
      if (!o) continue;
      auto oit = std::find(o->outstanding.begin(), o->outstanding.end(), *b);
      if (oit == o->outstanding.end()) continue;
      o->outstanding.erase(oit);
      send(*o, msg::cancel{m.index, m.begin, m.length});
    }
    if (options_.check == piece_check::by_driver) note_contributor(m.index, s);
    if (result.piece_complete) {
      if (options_.check == piece_check::by_driver) {
        actions_.emplace_back(action::check_piece{m.index});
        count_piece_gained(m.index);  // the picker has it now, checked or not
      } else {
        on_piece_complete(m.index, now);
      }
    }
  }
  if (s.open) fill_pipeline(s, now);
}

void peer::note_contributor(piece_index p, const session& s) {
  auto& who = contributors_[p.value()];
  if (std::find(who.begin(), who.end(), s.id) == who.end()) who.push_back(s.id);
}

void peer::on_piece_checked(piece_index p, piece_verdict verdict, time_point now) {
  if (!geometry_.valid_piece(p) || !picker_.have(p)) return;
  const auto it = contributors_.find(p.value());
  std::vector<connection_id> who;
  if (it != contributors_.end()) {
    who = std::move(it->second);
    contributors_.erase(it);
  }
  if (verdict == piece_verdict::passed) {
    on_piece_complete(p, now);
    return;
  }
  ++stats_.hash_failures;
  picker_.reset_piece(p);
  for (auto& s : all_sessions())  // the remotes that have it offer it again
    if (s.open && s.state == session_state::active && s.remote_has.test(p) && s.wanted++ == 0)
      update_interest(s);
  for (const connection_id c : who) {
    session* s = get(c);
    if (s && ++s->hash_failures > options_.max_hash_failures)
      close(*s, now, disconnect_reason::hash_failures);
  }
  for (auto& s : all_sessions())
    if (s.open && s.state == session_state::active) fill_pipeline(s, now);
}

void peer::on_piece_complete(piece_index p, time_point now) {
  if (!stats_.first_piece) stats_.first_piece = now;
  actions_.emplace_back(action::piece_completed{p});
  // The HAVE goes before the NOT_INTERESTED messages count_piece_gained may
  // send; its recipients are filled in after (which may grow actions_).
  const std::size_t have_at = actions_.size();
  actions_.emplace_back(action::broadcast_have{p, {}});
  std::vector<connection_id> to;
  to.reserve(num_open_);
  // Checked pieces were counted when their last block arrived (handle_piece).
  if (options_.check == piece_check::none)
    count_piece_gained(p, &to);
  else
    for (const auto& s : all_sessions())
      if (s.open && s.state == session_state::active && hears_have(s.remote_has.test(p)))
        to.push_back(s.id);
  std::get<action::broadcast_have>(actions_[have_at]).to = std::move(to);
  // Complete once every piece passed: a seed's picker with contributors_ left
  // still has pieces awaiting their check (piece_check::by_driver).
  if (picker_.is_seed() && contributors_.empty()) {
    stats_.completed = now;
    actions_.emplace_back(action::download_completed{});
    announce(announce_event::completed, now);
    for (auto& s : all_sessions())
      if (s.open && s.remote_is_seed) close(s, now, disconnect_reason::both_seeds);
  }
}

// The picker gained piece p: the remotes that have it offer one piece fewer
// (invariant 2: wanted counts against the picker's pieces, checked or not).
// With `recipients`, also lists the connections that hear of p (options_.send_have).
void peer::count_piece_gained(piece_index p, std::vector<connection_id>* recipients) {
  // Each test below loads a word of another bitfield: ask for them all first.
  for (const auto& s : all_sessions())
    if (p.value() < s.remote_has.size()) s.remote_has.prefetch(p.value());
  for (auto& s : all_sessions()) {
    if (!s.open || s.state != session_state::active) continue;
    const bool remote_has = s.remote_has.test(p);
    if (recipients && hears_have(remote_has)) recipients->push_back(s.id);
    if (remote_has && s.wanted > 0) {
      --s.wanted;
      if (s.wanted == 0) update_interest(s);
    }
  }
}

void peer::refill_others(const session& except, time_point now) {
  for (auto& s : all_sessions())
    if (s.open && s.id != except.id && s.am_interested && !s.peer_choking &&
        s.outstanding.size() < request_depth(s))
      fill_pipeline(s, now);
}

void peer::fill_pipeline(session& s, time_point now) {
  (void)now;
  if (!s.open || s.peer_choking || !s.am_interested) return;
  const std::uint32_t depth = request_depth(s);
  if (s.outstanding.size() >= depth) return;
  if (s.outstanding.empty()) s.last_block = now;
  pick_scratch_.clear();
  picker_.pick(s.remote_has, depth - static_cast<std::uint32_t>(s.outstanding.size()), s.id,
               pick_scratch_);
  for (const block_ref b : pick_scratch_) {
    s.outstanding.push_back(b);
    send(s, msg::request{b.piece, geometry_.block_offset(b), geometry_.block_length(b)});
  }
}

void peer::set_choke(session& s, bool choke, time_point now) {
  if (s.am_choking == choke) return;
  s.am_choking = choke;
  if (choke) {
    send(s, msg::choke{});
    reject_queued(s);  // BEP 6: after the CHOKE, so the remote does not ask again
    s.upload_queue.clear();
  } else {
    s.unchoked_since = now;
    s.bytes_sent_since_unchoke = 0;
    send(s, msg::unchoke{});
  }
}

void peer::collect_candidates(time_point now, bool snapshot) {
  choke_scratch_.clear();
  for (auto& s : all_sessions()) {
    if (!s.open || s.state != session_state::active) continue;
    if (snapshot && s.am_interested && !s.peer_choking && !s.outstanding.empty() &&
        now - s.last_block > options_.choker.snub_timeout)
      s.snubbed = true;
    choke_candidate c;
    c.conn = s.id;
    c.peer_interested = s.peer_interested;
    c.snubbed = s.snubbed;
    c.download_rate = s.down_rate.rate(s.payload_down, now);
    c.upload_rate = s.up_rate.rate(s.payload_up, now);
    c.connected_at = s.connected_at;
    c.unchoked = !s.am_choking;
    c.unchoked_since = s.unchoked_since;
    c.bytes_sent_since_unchoke = s.bytes_sent_since_unchoke;
    choke_scratch_.push_back(c);
    if (snapshot) {
      s.down_rate.snapshot(s.payload_down, now);
      s.up_rate.snapshot(s.payload_up, now);
    }
  }
}

void peer::apply_unchokes(const std::vector<connection_id>& unchoke, time_point now) {
  // Both in connection-id order: one merged walk.
  auto next = unchoke.begin();
  for (auto& s : all_sessions()) {
    if (!s.open || s.state != session_state::active) continue;
    while (next != unchoke.end() && *next < s.id)
      ++next;
    const bool keep = next != unchoke.end() && *next == s.id;
    set_choke(s, !keep, now);
  }
}

void peer::rechoke(time_point now) {
  collect_candidates(now, true);
  apply_unchokes(choker_.rechoke(choke_scratch_, picker_.is_seed(), now, random_), now);
}

void peer::reselect(time_point now) {
  if (!started_ || stopped_) return;
  collect_candidates(now, false);
  apply_unchokes(choker_.reselect(choke_scratch_, picker_.is_seed(), now, random_), now);
}

time_point peer::next_deadline() const {
  if (!started_ || stopped_) return never;
  return std::min(choker_.next_deadline(), next_announce_);
}

void peer::on_deadline(time_point now) {
  if (!started_ || stopped_) return;
  if (now >= choker_.next_deadline()) {
    close_inactive(now);
    connect_more(now);  // addresses whose reconnect delay has passed
    rechoke(now);
    for (auto& s : all_sessions())
      if (s.open && now - s.last_sent >= options_.keep_alive_interval) {
        s.last_sent = now;
        send(s, msg::keep_alive{});
      }
  }
  if (now >= next_announce_ || (num_open_ + num_pending_connects_ < options_.min_peers &&
                                now - last_announce_ >= min_announce_gap_))
    announce(announce_event::none, now);
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
    next_announce_ = std::min(next_announce_, now + r.interval);
  }
  for (const auto& e : r.peers) {
    if (e.address == self_) continue;
    if (std::find(connected_to_.begin(), connected_to_.end(), e.address) != connected_to_.end())
      continue;
    if (std::find(candidates_.begin(), candidates_.end(), e.address) != candidates_.end()) continue;
    candidates_.push_back(e.address);
  }
  connect_more(now);
}

void peer::connect_more(time_point now) {
  if (stopped_) return;
  // From the back (the newest addresses); one closed too recently stays for later.
  for (std::size_t i = candidates_.size();
       i > 0 && num_outgoing_ + num_pending_connects_ < options_.max_initiate &&
       num_open_ + num_pending_connects_ < options_.max_connections;) {
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
