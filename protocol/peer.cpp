#include "protocol/peer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace swarmsim::protocol {

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
    case disconnect_reason::banned:
      return "banned for corrupt data";
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
      choker_(make_upload_strategy(options.choker)),
      orders_uploads_(choker_->orders_blocks()),
      info_hash_(info_hash),
      id_(id),
      self_(self),
      neighbours_(make_neighbour_strategy(
          options.neighbours,
          {options.max_connections, options.max_initiate, options.min_peers, options.numwant})),
      limits_(checked_limits(*neighbours_, options.neighbours.name())),
      random_(seed) {}

void peer::start(time_point now) {
  started_ = true;
  if (options_.playback.enabled()) {
    playback_ = std::make_unique<class playback>(geometry_, options_.playback,
                                                 now + options_.playback.start_offset);
    playback_->advance(now, picker_.have_bits());
  }
  choker_->start(now);
  next_rechoke_ = choker_->next_deadline();
  next_upkeep_ = now + options_.choker.rechoke_interval;
  announce(announce_event::started, now);
}

void peer::announce(announce_event e, time_point now) {
  last_announce_ = now;
  if (e != announce_event::stopped) next_announce_ = now + announce_gap(options_.announce_interval);
  actions_.emplace_back(action::announce{e, e == announce_event::stopped ? 0 : limits_.numwant});
}

void peer::stop(time_point now) {
  if (stopped_) return;
  for (auto& s : all_sessions())
    if (s.open) close(s, now, disconnect_reason::stopped);
  stopped_ = true;
  next_announce_ = never;
  announce(announce_event::stopped, now);
}

std::size_t peer::num_unchoked() const {
  std::size_t n = 0;
  for (const auto& s : all_sessions())
    if (s.open && !s.am_choking) ++n;
  return n;
}

bool peer::is_optimistic_unchoke(connection_id c) const {
  return choker_->is_optimistic(c);
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
  if (banned(h.peer)) {  // invariant 11
    close(s, now, disconnect_reason::banned);
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
  for (const block_ref b : s.outstanding) {
    picker_.abort_request(b, s.id);
    withdraw(s, b);
  }
  s.outstanding.clear();
  if (freed) refill_others(s, now);
}

void peer::withdraw(session& s, block_ref b) {
  if (s.withdrawn.size() >= max_request_depth()) s.withdrawn.erase(s.withdrawn.begin());
  s.withdrawn.push_back(b);
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
  if (!s.am_choking || num_unchoked() < choker_->upload_slots()) reselect(now);
}

// Invariant 9: every request gets its block or a REJECT where BEP 6 allows one.
void peer::handle_request(session& s, const msg::request& r, time_point now) {
  if (s.am_choking) {  // BEP 3 drops requests while choked; BEP 6 rejects them
    reject(s, r);
    return;
  }
  const auto b = geometry_.block_at(r.index, r.begin, r.length);
  // A piece awaiting its check is not ours to serve (nor announced yet).
  if (!b || !picker_.have(r.index) ||
      (r.index.value() < checking_.size() && checking_.test(r.index))) {
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
  s.idled = false;  // it asks: no longer demoted (choker rule 10)
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

std::size_t peer::choose_upload(std::span<const connection_id> ready, time_point now) {
  if (!orders_uploads_ || ready.size() < 2) return 0;
  serve_scratch_.clear();
  for (const connection_id c : ready) {
    const session* s = find(c);
    serve_scratch_.push_back({c, s ? s->payload_down : 0, s ? s->payload_up : 0});
  }
  const std::size_t i = choker_->next_to_serve(serve_scratch_, now);
  if (i >= ready.size())
    throw std::logic_error(
        fmt::format("choker '{}' broke its contract: it chose block {} of {} ready connections",
                    options_.choker.policy.name(), i, ready.size()));
  return i;
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
  const bool seed = picker_.is_seed();
  const double piece_bytes =
      static_cast<double>(geometry_.total_size()) / std::max(geometry_.num_pieces(), 1u);
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
    c.bytes_received = s.payload_down;
    c.bytes_sent = s.payload_up;
    if (snapshot) {  // bytes/s of pieces announced since the last rechoke (none
                     // at the first: the bitfield is not a gain)
      const double window = to_seconds(now - s.down_rate.t_last);
      const std::uint32_t haves = s.remote_has.count();
      const bool first = s.down_rate.t_last == time_point{};
      s.have_rate = !first && window > 0 ? (haves - s.haves_last) * piece_bytes / window : 0;
      s.haves_last = haves;
    }
    c.remote_have_rate = s.have_rate;
    // Choker rule 10: a seed's slot holder with no request queued that was sent
    // nothing for a rechoke interval (it asked for nothing) is idle, and demoted
    // from then until it asks.
    if (seed && c.unchoked && c.peer_interested && s.upload_queue.empty() &&
        now - std::max(s.unchoked_since, s.last_sent) >= options_.choker.rechoke_interval)
      s.idled = c.idle = true;
    c.demoted = seed && s.idled;
    choke_scratch_.push_back(c);
    if (snapshot) {
      s.down_rate.snapshot(s.payload_down, now);
      s.up_rate.snapshot(s.payload_up, now);
    }
  }
}

// The strategy's answer obeys its contract (upload_strategy.hpp rule 7), checked
// in every build: a plug-in that breaks it stops the run with its name.
void peer::apply_unchokes(const std::vector<connection_id>& unchoke, time_point now) {
  const auto broken = [&](std::string_view what) {
    return std::logic_error(
        fmt::format("choker '{}' broke its contract: {}", options_.choker.policy.name(), what));
  };
  if (std::adjacent_find(unchoke.begin(), unchoke.end(), std::greater_equal<>()) != unchoke.end())
    throw broken("its unchoke set is not sorted by connection id, or repeats one");
  if (unchoke.size() > choker_->upload_slots())
    throw broken(fmt::format("{} unchoked, more than its {} upload slots", unchoke.size(),
                             choker_->upload_slots()));
  // Both in connection-id order: one merged walk.
  auto next = unchoke.begin();
  std::size_t kept = 0;
  for (auto& s : all_sessions()) {
    if (!s.open || s.state != session_state::active) continue;
    while (next != unchoke.end() && *next < s.id)
      ++next;
    const bool keep = next != unchoke.end() && *next == s.id;
    kept += keep;
    set_choke(s, !keep, now);
  }
  if (kept != unchoke.size()) throw broken("it unchoked a connection that was not a candidate");
}

void peer::rechoke(time_point now) {
  collect_candidates(now, true);
  apply_unchokes(choker_->rechoke(choke_scratch_, picker_.is_seed(), now, random_), now);
  next_rechoke_ = choker_->next_deadline();
  if (next_rechoke_ <= now)
    throw std::logic_error(
        fmt::format("choker '{}' broke its contract: its next deadline is not after the rechoke",
                    options_.choker.policy.name()));
}

void peer::reselect(time_point now) {
  if (!started_ || stopped_) return;
  collect_candidates(now, false);
  apply_unchokes(choker_->reselect(choke_scratch_, picker_.is_seed(), now, random_), now);
  next_rechoke_ = choker_->next_deadline();
}

time_point peer::next_deadline() const {
  if (!started_ || stopped_) return never;
  return std::min({next_rechoke_, next_upkeep_, next_announce_});
}

void peer::on_deadline(time_point now) {
  if (!started_ || stopped_) return;
  // Upkeep every rechoke_interval, whatever the choker's own timer (for mainline
  // the two coincide): idle connections, reconnects, keep-alives.
  const bool upkeep = now >= next_upkeep_;
  if (upkeep) {
    next_upkeep_ = now + options_.choker.rechoke_interval;
    close_inactive(now);
    connect_more(now);  // addresses whose reconnect delay has passed
  }
  if (now >= next_rechoke_) rechoke(now);
  if (upkeep) {
    for (auto& s : all_sessions())
      if (s.open && now - s.last_sent >= options_.keep_alive_interval) {
        s.last_sent = now;
        send(s, msg::keep_alive{});
      }
  }
  if (now >= next_announce_ || (num_open_ + num_pending_connects_ < limits_.min_peers &&
                                now - last_announce_ >= min_announce_gap_))
    announce(announce_event::none, now);
}

}  // namespace swarmsim::protocol
