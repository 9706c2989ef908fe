#include "sim/engine/choreography.hpp"

#include <algorithm>
#include <cmath>

namespace swarmsim::sim {

using protocol::time_origin;

choreography::choreography(const scenario& s, std::span<const planned_peer> plan,
                           std::uint32_t num_pieces)
    : copies_(num_pieces, 0), leecher_copies_(num_pieces, 0) {
  has_viewers_ = std::any_of(s.groups.begin(), s.groups.end(),
                             [](const group_spec& g) { return g.peer.playback.enabled(); });
  peers_.resize(plan.size());
  pending_ = static_cast<std::uint32_t>(plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const planned_peer& x = plan[i];
    const group_spec& g = s.groups[x.group];
    peer_state& p = peers_[i];
    p.complete = x.initial_seed;
    p.abort_at_pieces = x.abort_at_pieces;
    p.arrival = x.arrival;
    p.leave_at_set = g.leave_at.has_value();
    if (g.leave_at) p.leave_at = time_origin + *g.leave_at;
    p.abort_after = x.abort_after;
    p.seed_time = x.seed_time;
    p.after = g.after_completion.kind;
    p.upload = x.upload;
    p.counted = x.initial;
    if (!x.initial_seed) ++total_leechers_;
  }
}

cue_list choreography::on_arrive(std::uint32_t i) {
  peer_state& p = peers_[i];
  cue_list cues;
  if (p.at != stage::pending) return cues;
  p.at = stage::live;
  --pending_;
  ++arrived_;
  live_upload_capacity_ += p.upload;
  if (p.complete)
    ++live_seeds_;
  else
    ++live_leechers_;
  p.counted.for_each_set([&](std::uint32_t k) {
    ++copies_[k];
    if (!p.complete) ++leecher_copies_[k];
  });
  if (p.leave_at_set && p.leave_at >= p.arrival) cues.push({cue_kind::depart, i, p.leave_at});
  if (p.abort_after) cues.push({cue_kind::abort, i, p.arrival + *p.abort_after});
  return cues;
}

std::optional<cue> choreography::on_piece(std::uint32_t i, protocol::piece_index piece,
                                          protocol::time_point now) {
  peer_state& p = peers_[i];
  if (p.at != stage::live || !p.counted.set(piece)) return std::nullopt;
  ++copies_[piece.value()];
  if (p.complete) return std::nullopt;
  ++leecher_copies_[piece.value()];
  if (p.abort_at_pieces != no_abort && p.counted.count() >= p.abort_at_pieces)
    return cue{cue_kind::abort, i, now};
  return std::nullopt;
}

std::optional<cue> choreography::on_complete(std::uint32_t i, protocol::time_point now) {
  peer_state& p = peers_[i];
  if (p.at != stage::live || p.complete) return std::nullopt;
  p.complete = true;
  ++completed_;
  --live_leechers_;
  ++live_seeds_;
  p.counted.for_each_set([&](std::uint32_t k) { --leecher_copies_[k]; });
  switch (p.after) {
    case after_completion_kind::stay:
      return std::nullopt;
    case after_completion_kind::leave:
      return cue{cue_kind::depart, i, now};
    case after_completion_kind::seed_for:
      return cue{cue_kind::depart, i, now + p.seed_time};
  }
  return std::nullopt;
}

void choreography::on_depart(std::uint32_t i) {
  peer_state& p = peers_[i];
  if (p.at != stage::live) return;
  p.at = stage::gone;
  ++departed_;
  live_upload_capacity_ -= p.upload;
  if (p.complete)
    --live_seeds_;
  else
    --live_leechers_;
  p.counted.for_each_set([&](std::uint32_t k) {
    --copies_[k];
    if (!p.complete) --leecher_copies_[k];
  });
  p.counted = protocol::bitfield();
}

bool choreography::applies(const cue& c) const {
  const peer_state& p = peers_[c.peer];
  return p.at == stage::live && (c.kind != cue_kind::abort || !p.complete);
}

void choreography::count_interest(const protocol::peer& p, std::uint64_t& pairs,
                                  std::uint64_t& interested) {
  p.for_each_session([&](const protocol::session& x) {
    if (x.state != protocol::session_state::active) return;
    ++pairs;
    if (x.am_interested) ++interested;
  });
}

void choreography::add_viewer(const protocol::peer& p, protocol::time_point now) {
  if (const protocol::playback* pb = p.playback_state())
    viewers_.push_back(viewer_at(*pb, now, p.have()));
}

sample& choreography::record_sample(protocol::time_point now, const sample_inputs& in,
                                    std::uint64_t pairs, std::uint64_t interested) {
  sample s;
  s.time = now - time_origin;
  s.leechers = live_leechers_;
  s.seeds = live_seeds_;
  s.arrived = arrived_;
  s.completed = completed_;
  s.departed = departed_;
  s.connections = in.connections;
  const double dt = samples_.empty() ? protocol::to_seconds(s.time)
                                     : protocol::to_seconds(s.time - samples_.back().time);
  if (dt > 0) {
    s.upload_rate = static_cast<double>(in.uploaded - uploaded_at_last_sample_) / dt;
    s.seed_upload_rate =
        static_cast<double>(in.uploaded_by_seeds - seed_uploaded_at_last_sample_) / dt;
  }
  uploaded_at_last_sample_ = in.uploaded;
  seed_uploaded_at_last_sample_ = in.uploaded_by_seeds;
  s.upload_utilisation =
      live_upload_capacity_ > 0 ? std::min(1.0, s.upload_rate / live_upload_capacity_) : 0.0;
  const auto av = compute_availability(copies_);
  s.availability_min = av.min;
  s.availability_mean = av.mean;
  s.entropy = av.entropy;
  s.pieces_only_at_seeds =
      static_cast<std::uint32_t>(std::count(leecher_copies_.begin(), leecher_copies_.end(), 0u));
  s.peer_availability =
      pairs > 0 ? static_cast<double>(interested) / static_cast<double>(pairs) : std::nan("");
  s.events = in.events;
  samples_.push_back(s);
  return samples_.back();
}

}  // namespace swarmsim::sim
