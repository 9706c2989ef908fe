// protocol::peer: downloading. Requests kept in flight, blocks received, pieces
// completed and checked, and who hears of them (peer.hpp, invariants 2 and 4).

#include <algorithm>
#include <utility>
#include <vector>

#include "protocol/peer.hpp"

namespace swarmsim::protocol {

bool peer::wants_block(connection_id conn, const msg::piece& m) const {
  const session* s = find(conn);
  const auto b = geometry_.block_at(m.index, m.begin, m.length);
  const auto asked = [&](const std::vector<block_ref>& v) {
    return std::find(v.begin(), v.end(), *b) != v.end();
  };
  return s && b && (asked(s->outstanding) || asked(s->withdrawn)) && !picker_.have(m.index) &&
         !picker_.is_received(*b);
}

void peer::handle_piece(session& s, const msg::piece& m, time_point now) {
  const auto b = geometry_.block_at(m.index, m.begin, m.length);
  if (!b || (!m.data.empty() && m.data.size() != m.length)) {
    protocol_error(s, disconnect_reason::bad_piece, now);
    return;
  }
  if (auto it = std::find(s.outstanding.begin(), s.outstanding.end(), *b);
      it != s.outstanding.end()) {
    s.outstanding.erase(it);
  } else if (auto w = std::find(s.withdrawn.begin(), s.withdrawn.end(), *b);
             w != s.withdrawn.end()) {
    s.withdrawn.erase(w);  // a late answer to a request we withdrew
  } else {                 // invariant 12: nobody asked this remote for it
    stats_.wasted += m.length;
    return;
  }
  s.payload_down += m.length;
  s.last_block = now;
  if (options_.queue == request_queue::adaptive) sample_download_rate(s, now);
  s.snubbed = false;
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
      withdraw(*o, *b);
      send(*o, msg::cancel{m.index, m.begin, m.length});
    }
    if (options_.check == piece_check::by_driver)
      blame_.on_block(m.index, b->block, geometry_.blocks_in_piece(m.index),
                      remote_ids_[slot_of(s.id)]);
    if (result.piece_complete) {
      if (options_.check == piece_check::by_driver) {
        if (checking_.size() != geometry_.num_pieces())
          checking_ = bitfield(geometry_.num_pieces());
        if (checking_.set(m.index)) ++num_checking_;
        actions_.emplace_back(action::check_piece{m.index, blame_.wants_block_digests(m.index)});
        count_piece_gained(m.index);  // the picker has it now, checked or not
      } else {
        on_piece_complete(m.index, now);
      }
    }
  }
  if (s.open) fill_pipeline(s, now);
}

void peer::on_piece_checked(piece_index p, piece_verdict verdict, time_point now,
                            std::span<const sha1_hash> block_digests) {
  if (!geometry_.valid_piece(p) || !picker_.have(p) || p.value() >= checking_.size() ||
      !checking_.reset(p))
    return;
  --num_checking_;
  const auto culprits = blame_.on_checked(p, verdict, block_digests);
  if (verdict == piece_verdict::passed) {
    on_piece_complete(p, now);
    punish(culprits, now);
    return;
  }
  ++stats_.hash_failures;
  picker_.reset_piece(p);
  for (auto& s : all_sessions())  // the remotes that have it offer it again
    if (s.open && s.state == session_state::active && s.remote_has.test(p) && s.wanted++ == 0)
      update_interest(s);
  punish(culprits, now);
  for (auto& s : all_sessions())
    if (s.open && s.state == session_state::active) fill_pipeline(s, now);
}

// Invariant 11: a strike for each remote proven to have sent corrupt data; past
// max_hash_failures it is disconnected and banned.
void peer::punish(const std::vector<wire_peer_id>& culprits, time_point now) {
  for (const wire_peer_id& id : culprits) {
    auto it = std::find_if(strikes_.begin(), strikes_.end(),
                           [&](const auto& e) { return e.first == id; });
    if (it == strikes_.end()) it = strikes_.insert(strikes_.end(), {id, 0});
    if (++it->second <= options_.max_hash_failures || banned(id)) continue;
    banned_.push_back(id);
    for (auto& s : all_sessions())
      if (s.open && s.state == session_state::active && remote_ids_[slot_of(s.id)] == id) {
        if (s.outgoing) banned_addresses_.push_back(s.remote);
        close(s, now, disconnect_reason::hash_failures);
      }
  }
}

bool peer::banned(const wire_peer_id& remote) const {
  return std::find(banned_.begin(), banned_.end(), remote) != banned_.end();
}

void peer::on_piece_complete(piece_index p, time_point now) {
  if (!stats_.first_piece) stats_.first_piece = now;
  if (playback_) playback_->on_piece(p.value(), now, picker_.have_bits());
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
  // Complete once every piece passed: a seed's picker with pieces in checking_
  // still has pieces awaiting their check (piece_check::by_driver).
  if (picker_.is_seed() && num_checking_ == 0) {
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

piece_picker::remote_view peer::remote_view_of(const session& s, time_point now) const {
  piece_picker::remote_view v;
  v.rate = s.down_rate.rate(s.payload_down, now);
  v.queued = static_cast<std::uint32_t>(s.outstanding.size());
  // The slowest tenth of the remotes that unchoke us (libtorrent's time-critical
  // requests skip them): fewer than ten such remotes have no slowest tenth.
  std::vector<double> rates;
  for (const auto& x : all_sessions())
    if (x.open && x.state == session_state::active && !x.peer_choking)
      rates.push_back(x.down_rate.rate(x.payload_down, now));
  if (rates.size() >= 10) {
    const auto tenth = rates.begin() + static_cast<std::ptrdiff_t>(rates.size() / 10);
    std::nth_element(rates.begin(), tenth, rates.end());
    v.slow = v.rate < *tenth;
  }
  return v;
}

void peer::fill_pipeline(session& s, time_point now) {
  (void)now;
  if (!s.open || s.peer_choking || !s.am_interested) return;
  const std::uint32_t depth = request_depth(s);
  if (s.outstanding.size() >= depth) return;
  if (s.outstanding.empty()) s.last_block = now;
  if (playback_) {  // the strategy may read where playback is now, and the remote
    playback_->advance(now, picker_.have_bits());
    picker_.set_context({playback_.get(), now, remote_view_of(s, now)});
  }
  pick_scratch_.clear();
  picker_.pick(s.remote_has, depth - static_cast<std::uint32_t>(s.outstanding.size()), s.id,
               pick_scratch_);
  for (const block_ref b : pick_scratch_) {
    s.outstanding.push_back(b);
    send(s, msg::request{b.piece, geometry_.block_offset(b), geometry_.block_length(b)});
  }
}

}  // namespace swarmsim::protocol
